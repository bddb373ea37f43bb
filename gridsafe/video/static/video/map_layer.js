/* The cameras layer on the map page (/map/): the camera register in the reader's 辖区 from
 * /api/v1/video/cameras/map, fetched when the layer is first switched on; online cameras blue, offline grey; a
 * camera's popup links to its page (live view, recent alarms). Attaches to the Leaflet map that web/map.js leaves
 * on #gs-map (el.gsMap); no inline script. */
(function () {
  "use strict";

  var script = document.currentScript;
  var el = document.getElementById("gs-map");
  if (!script || !el || !window.L || !el.gsMap) {
    return;
  }
  var map = el.gsMap;
  var OWNERS = { police: "公安", township: "乡镇", enterprise: "企业" };

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  var layer = L.layerGroup();
  var loaded = false;
  var control = L.control.layers(null, null, { collapsed: true, position: "topright" }).addTo(map);
  control.getContainer().setAttribute("aria-label", "视频图层");
  control.addOverlay(layer, "摄像机");

  map.on("overlayadd", function (e) {
    if (e.layer !== layer || loaded) {
      return;
    }
    loaded = true;
    fetch(script.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("摄像机图层加载失败（" + r.status + "）");
        }
        return r.json();
      })
      .then(function (cameras) {
        cameras.forEach(function (c) {
          var marker = L.circleMarker([c.lat, c.lon], {
            radius: 5,
            weight: 1,
            color: "#fff",
            fillColor: c.online ? "#1b6a99" : "#8a94a0",
            fillOpacity: 0.9,
            className: "video-camera-marker",
          });
          var href = script.dataset.card.replace("/0/", "/" + c.id + "/");
          marker.bindPopup(
            "<b>" + esc(c.name) + "</b><br>" + esc(OWNERS[c.owner] || c.owner) + " · " + (c.online ? "在线" : "离线") +
              '<br><a href="' + esc(href) + '">实时视频与告警</a>'
          );
          layer.addLayer(marker);
        });
        el.dataset.cameras = String(cameras.length);
      })
      .catch(function (error) {
        loaded = false;
        el.dataset.camerasError = error.message;
      });
  });
})();
