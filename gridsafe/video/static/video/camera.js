// The camera page's live view: ask our server for the gateway's play address, then play HLS with hls.js
// (Safari plays HLS natively). Nothing inline: the page's CSP allows only files from this site.
(function () {
  "use strict";
  var video = document.getElementById("video-player");
  var status = document.getElementById("video-status");
  if (!video || !status) return;

  function say(text) { status.textContent = text; }

  fetch(video.dataset.playUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (answer) {
      if (!answer.ok) { say(answer.detail || "无法播放"); return; }
      if (!answer.hls) { say("视频网关未给出 HLS 播放地址"); return; }
      video.dataset.source = answer.hls;
      if (window.Hls && window.Hls.isSupported()) {
        var hls = new window.Hls({ lowLatencyMode: true });
        hls.on(window.Hls.Events.MANIFEST_PARSED, function () { say("正在播放（HLS）"); video.play().catch(function () {}); });
        hls.on(window.Hls.Events.ERROR, function (_event, data) { if (data.fatal) say("播放中断：" + data.details); });
        hls.loadSource(answer.hls);
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = answer.hls;
        say("正在播放（HLS）");
      } else {
        say("此浏览器不支持 HLS 播放");
      }
    })
    .catch(function () { say("无法连接服务器"); });
})();
