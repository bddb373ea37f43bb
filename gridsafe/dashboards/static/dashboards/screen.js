/* The county big screen. Polls one JSON feed every N seconds (data-poll) and updates in place:

   - charts are created once and fed with setOption (no chart instance is ever created twice);
   - map points are kept in a Map by case id: added, restyled or removed, never re-created wholesale;
   - the latest-reports list is rebuilt from a fixed number of items with textContent (no HTML from the feed);
   - a failed or hung request (15 s timeout) keeps the last picture, says so in the status line and retries with
     backoff (30 s, 60 s … at most 5 min); a 401/403 (session gone) says so and keeps retrying slowly;
   - one request at a time: a slow answer never overlaps the next poll.
   So it can stay on the wall overnight without reloads or growing memory. No inline script (CSP). */
(function () {
  "use strict";

  var root = document.getElementById("screen");
  if (!root) { return; }
  var FEED = root.getAttribute("data-feed");
  var REGIONS = root.getAttribute("data-regions");
  var POLL = Math.max(5, parseInt(root.getAttribute("data-poll"), 10) || 30) * 1000;
  var DISPLAY = root.getAttribute("data-display") === "1"; // a display session (大屏显示会话), not a person
  var TIMEOUT = 15000;
  var MAX_BACKOFF = 5 * 60 * 1000;
  var LIGHTS = { red: "#ff5b5b", yellow: "#ffc53d", green: "#3ddc84", none: "#7a8ca3" };

  var charts = {};
  var map = null;
  var pointLayer = null;
  var canvas = null;
  var markers = new Map();
  var failures = 0;
  var lastOk = 0;
  var timer = null;
  var busy = false;
  var statusEl = document.getElementById("sc-status");

  function fit() {
    var scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    root.style.transform = "scale(" + scale + ")";
    root.style.left = Math.max(0, (window.innerWidth - 1920 * scale) / 2) + "px";
    root.style.top = Math.max(0, (window.innerHeight - 1080 * scale) / 2) + "px";
  }

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== value) { el.textContent = value; }
  }

  function num(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"); }
  function pct(v) { return v === null || v === undefined ? "—" : Number(v).toFixed(1) + "%"; }
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function status(message, kind) {
    statusEl.textContent = message;
    statusEl.className = "sc-status" + (kind ? " is-" + kind : "");
  }

  function tickClock() {
    var now = new Date();
    text("sc-date", now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日 星期" + "日一二三四五六".charAt(now.getDay()));
    text("sc-time", two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds()));
    if (lastOk && Date.now() - lastOk > 3 * POLL && failures === 0) {
      status("数据超过 " + Math.round((Date.now() - lastOk) / 60000) + " 分钟未更新", "stale");
    }
  }

  // ------------------------------------------------------------ charts

  var AXIS = { axisLine: { lineStyle: { color: "#2d5c8a" } }, axisLabel: { color: "#9fc3e6", fontSize: 14 }, splitLine: { lineStyle: { color: "rgba(45,92,138,0.35)" } } };

  function initCharts() {
    if (!window.echarts) { return; }
    ["modules", "ranking", "trend"].forEach(function (name) {
      var el = document.getElementById("chart-" + name);
      if (el) { charts[name] = window.echarts.init(el, null, { renderer: "canvas" }); }
    });
  }

  function drawModules(rows) {
    if (!charts.modules) { return; }
    charts.modules.setOption({
      animationDurationUpdate: 600,
      grid: { left: 160, right: 64, top: 6, bottom: 6 },
      xAxis: Object.assign({ type: "value", max: 100, show: false }, {}),
      yAxis: Object.assign({ type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) }, AXIS, { axisLabel: { color: "#cfe6ff", fontSize: 15 } }),
      series: [{
        type: "bar", barMaxWidth: 16, data: rows.map(function (r) { return r.handling_rate; }),
        itemStyle: { color: new window.echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1f7fd0" }, { offset: 1, color: "#36d6ff" }]), borderRadius: 8 },
        label: { show: true, position: "right", color: "#e8f4ff", fontSize: 14, formatter: function (p) { return p.value === null || p.value === undefined ? "—" : p.value.toFixed(1) + "%"; } },
        showBackground: true, backgroundStyle: { color: "rgba(127,216,255,0.08)", borderRadius: 8 }
      }]
    });
  }

  function drawRanking(rows) {
    if (!charts.ranking) { return; }
    var colours = { A: "#3ddc84", B: "#36d6ff", C: "#ffc53d", D: "#ff9a3d", E: "#ff5b5b" };
    charts.ranking.setOption({
      animationDurationUpdate: 600,
      grid: { left: 100, right: 70, top: 4, bottom: 4 },
      xAxis: { type: "value", max: 100, show: false },
      yAxis: Object.assign({ type: "category", inverse: true, data: rows.map(function (r, i) { return (i + 1) + " " + r.name; }) }, AXIS, { axisLabel: { color: "#cfe6ff", fontSize: 15 } }),
      series: [{
        type: "bar", barMaxWidth: 14,
        data: rows.map(function (r) { return { value: r.score, itemStyle: { color: colours[r.grade] || "#7a8ca3", borderRadius: 7 } }; }),
        label: { show: true, position: "right", color: "#e8f4ff", fontSize: 14, formatter: function (p) { var r = rows[p.dataIndex]; return r.score === null ? "无数据" : r.score.toFixed(1) + " " + r.grade; } },
        showBackground: true, backgroundStyle: { color: "rgba(127,216,255,0.08)", borderRadius: 7 }
      }]
    });
  }

  function drawTrend(t) {
    if (!charts.trend) { return; }
    charts.trend.setOption({
      animationDurationUpdate: 600,
      color: ["#36d6ff", "#3ddc84", "#ffc53d"],
      legend: { top: 0, right: 10, textStyle: { color: "#cfe6ff", fontSize: 14 } },
      grid: { left: 50, right: 20, top: 30, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: t.days, boundaryGap: false }, AXIS),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: "上报", type: "line", smooth: true, symbol: "none", areaStyle: { opacity: 0.15 }, data: t.day_reported },
        { name: "提交整改", type: "line", smooth: true, symbol: "none", data: t.day_handled },
        { name: "核查销号", type: "line", smooth: true, symbol: "none", data: t.day_resolved }
      ]
    });
  }

  // ------------------------------------------------------------ map

  function initMap() {
    if (!window.L) { return; }
    canvas = window.L.canvas({ padding: 0.2 });
    map = window.L.map("map", { zoomControl: false, attributionControl: false, zoomSnap: 0.1, preferCanvas: true, renderer: canvas });
    map.setView([25.36, 118.69], 10);
    pointLayer = window.L.layerGroup().addTo(map);
    request(REGIONS, function (geo) {
      var outline = window.L.geoJSON(geo, {
        renderer: canvas,
        style: function (f) {
          var role = f.properties.role;
          if (role === "self") { return { color: "#36d6ff", weight: 3, fill: false }; }
          if (role === "child") { return { color: "#4aa3ff", weight: 1.6, fillColor: "#0d3160", fillOpacity: 0.55 }; }
          return { color: "#2d5c8a", weight: 0.5, fill: false, opacity: 0.6 };
        },
        onEachFeature: function (f, layer) {
          if (f.properties.role === "child") {
            layer.bindTooltip(label(f.properties.name), { permanent: true, direction: "center", className: "sc-region-label" });
          }
        }
      }).addTo(map);
      outline.bringToBack();
      var bounds = outline.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); }
    }, function () { /* outlines are decoration: the points still show */ });
  }

  function label(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function pointStyle(p) {
    var colour = p.overdue ? LIGHTS.red : (LIGHTS[p.light] || LIGHTS.none);
    return { radius: p.supervision === "red" ? 7 : 5, color: p.supervision ? "#ffffff" : colour, weight: p.supervision ? 1.5 : 0.5, fillColor: colour, fillOpacity: 0.85 };
  }

  function drawPoints(points) {
    if (!pointLayer) { return; }
    var seen = new Set();
    points.forEach(function (p) {
      seen.add(p.id);
      var marker = markers.get(p.id);
      var style = pointStyle(p);
      if (!marker) {
        marker = window.L.circleMarker([p.lat, p.lon], Object.assign({ renderer: canvas }, style));
        marker.bindTooltip(label("#" + p.id + " " + p.category + " · " + p.state));
        marker.addTo(pointLayer);
        markers.set(p.id, marker);
      } else {
        marker.setStyle(style);
        var tip = "#" + p.id + " " + p.category + " · " + p.state;
        if (marker.gsTip !== tip) { marker.setTooltipContent(label(tip)); }
      }
      marker.gsTip = "#" + p.id + " " + p.category + " · " + p.state;
    });
    markers.forEach(function (marker, id) {
      if (!seen.has(id)) {
        marker.unbindTooltip();
        pointLayer.removeLayer(marker);
        markers.delete(id);
      }
    });
  }

  // ------------------------------------------------------------ the rest of the picture

  // Today's reports by their time only; older ones with their date (and the year, from another year).
  function when(at) {
    var now = new Date();
    var time = two(at.getHours()) + ":" + two(at.getMinutes());
    if (at.toDateString() === now.toDateString()) { return time; }
    var day = two(at.getMonth() + 1) + "-" + two(at.getDate());
    return (at.getFullYear() === now.getFullYear() ? day : at.getFullYear() + "-" + day) + " " + time;
  }

  function drawLatest(rows) {
    var list = document.getElementById("sc-latest");
    if (!list) { return; }
    while (list.children.length > rows.length) { list.removeChild(list.lastChild); }
    rows.forEach(function (r, i) {
      var li = list.children[i];
      if (!li) {
        li = document.createElement("li");
        ["t", "w", "s"].forEach(function (cls) { var span = document.createElement("span"); span.className = cls; li.appendChild(span); });
        list.appendChild(li);
      }
      var at = new Date(r.time);
      li.className = "light-" + r.light;
      li.children[0].textContent = when(at);
      li.children[1].textContent = r.region + " · " + r.category;
      li.children[2].textContent = r.state;
    });
  }

  function render(d) {
    var c = d.counters;
    Object.keys(c).forEach(function (key) { text("c-" + key, num(c[key])); });
    Object.keys(d.rates).forEach(function (key) {
      text("r-" + key, pct(d.rates[key]));
      var bar = document.getElementById("bar-" + key);
      if (bar) { bar.style.width = (d.rates[key] || 0) + "%"; }
    });
    drawModules(d.modules);
    drawRanking(d.ranking);
    drawTrend(d.trend);
    drawLatest(d.latest);
    drawPoints(d.points);
  }

  // ------------------------------------------------------------ polling

  function request(url, ok, fail) {
    var controller = window.AbortController ? new AbortController() : null;
    var guard = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT);
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json", "X-GridSafe-Poll": "1" }, signal: controller ? controller.signal : undefined })
      .then(function (response) {
        // A poll: it never extends a person's session. 401 is a session that ended or a display that was revoked.
        if (response.status === 401 || response.status === 403) { throw { auth: true, revoked: response.status === 401 && DISPLAY }; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { clearTimeout(guard); ok(data); })
      .catch(function (error) { clearTimeout(guard); fail(error || {}); });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    request(FEED, function (data) {
      busy = false;
      failures = 0;
      lastOk = Date.now();
      try {
        render(data);
        var at = new Date(data.generated_at);
        status("数据更新于 " + two(at.getHours()) + ":" + two(at.getMinutes()) + ":" + two(at.getSeconds()));
      } catch (e) {
        status("数据显示异常，稍后重试", "error");
      }
      schedule(POLL);
    }, function (error) {
      busy = false;
      failures += 1;
      var wait = Math.min(POLL * Math.pow(2, failures - 1), MAX_BACKOFF);
      if (error.revoked) { status("大屏显示会话已被吊销或已到期，请联系管理员重新签发", "error"); return; }
      status((error.auth ? "登录已失效，请重新登录" : "连接中断") + "，" + Math.round(wait / 1000) + " 秒后重试（显示的是上次数据）", "error");
      schedule(wait);
    });
  }

  function start() {
    fit();
    window.addEventListener("resize", function () {
      fit();
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      if (map) { map.invalidateSize(); }
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && Date.now() - lastOk > POLL) { schedule(0); }
    });
    initCharts();
    initMap();
    tickClock();
    setInterval(tickClock, 1000);
    poll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
