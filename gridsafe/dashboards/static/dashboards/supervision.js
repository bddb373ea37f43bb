/* 巡查监督 maps: grid coverage, supervised places, workers on patrol now, and the patrol track replay.
 *
 * No inline script: each map is an element with data-sv-map (grids | places | now | replay) and its data in
 * data-config (JSON). Text from the server goes in with textContent or Leaflet's own escaping (bindTooltip of a
 * text node), never as HTML.
 */
(function () {
  "use strict";
  if (!window.L) {
    return;
  }
  var COUNTY = [25.36, 118.69];
  var COLOURS = { covered: "#2e8b57", uncovered: "#c0392b", overdue: "#c0392b", due: "#e67e22", upcoming: "#2e8b57", inactive: "#888" };

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(iso) { var d = new Date(iso); return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()); }

  function textNode(text) { var span = document.createElement("span"); span.textContent = text; return span; }

  function baseMap(el, cfg) {
    var basemap = window.GridSafeBasemap;
    var map = L.map(el, L.Util.extend({ minZoom: 7, maxZoom: 19, zoomSnap: 0.5 }, basemap.mapOptions(cfg.basemap, L)));
    map.attributionControl.setPrefix(false);
    basemap.attach(map, cfg.basemap, L);  // 天地图 or another provider, else the plain background (web/basemap.js)
    if (!(cfg.basemap && cfg.basemap.layers.length)) { map.attributionControl.addAttribution("本系统数据（无底图）"); }
    map.setView(COUNTY, 10);
    return map;
  }

  function fit(map, latlngs, zoom) {
    if (latlngs.length === 1) { map.setView(latlngs[0], zoom || 16); }
    else if (latlngs.length > 1) { map.fitBounds(L.latLngBounds(latlngs), { padding: [20, 20], maxZoom: 17 }); }
  }

  // ------------------------------------------------------------------ grids coloured by this week's coverage

  function gridsMap(el, cfg) {
    var map = baseMap(el, cfg);
    var link = el.dataset.link;
    var latlngs = [];
    cfg.grids.forEach(function (g) {
      var ll = [g.lat, g.lon];
      latlngs.push(ll);
      var marker = L.circleMarker(ll, {
        radius: 6 + Math.min(g.month, 8), weight: 1, color: "#333",
        fillColor: g.week ? COLOURS.covered : COLOURS.uncovered, fillOpacity: 0.8
      }).addTo(map);
      marker.bindTooltip(textNode(g.village + " · " + g.name + "：本周 " + g.week + " 次，本月 " + g.month + " 次"));
      if (link) {
        marker.on("click", function () { window.location.search = link.replace(/^\?/, "") + encodeURIComponent(g.code); });
      }
    });
    fit(map, latlngs);
  }

  // ------------------------------------------------------------------ supervised places by due state

  function placesMap(el, cfg) {
    var map = baseMap(el, cfg);
    var latlngs = [];
    cfg.places.forEach(function (p) {
      var ll = [p.lat, p.lon];
      latlngs.push(ll);
      var marker = L.circleMarker(ll, {
        radius: 7, weight: 1, color: "#333", fillColor: COLOURS[p.state] || "#1c5fa8", fillOpacity: 0.85
      }).addTo(map);
      marker.bindTooltip(textNode(p.name + (p.domain ? "（" + p.domain + "）" : "") + (p.due ? " 到期 " + p.due : "")));
      marker.on("click", function () { window.location.href = "/supervision/places/" + p.id + "/"; });
    });
    fit(map, latlngs);
  }

  // ------------------------------------------------------------------ workers on patrol now

  function nowMap(el, cfg) {
    var map = baseMap(el, cfg);
    var markers = new Map();
    var status = document.getElementById("sv-now-status");
    var first = true;

    function draw(patrols) {
      var seen = new Set();
      var latlngs = [];
      patrols.forEach(function (p) {
        if (p.lat === null || p.lon === null || p.lat === undefined) { return; }
        seen.add(p.id);
        var ll = [p.lat, p.lon];
        latlngs.push(ll);
        var label = p.worker + " · " + p.village + " · " + p.grid + "（" + (p.last_at ? "定位于 " + hhmm(p.last_at) : "") + "）";
        var marker = markers.get(p.id);
        if (!marker) {
          marker = L.marker(ll, { title: p.worker }).addTo(map);
          marker.on("click", function () { window.location.href = p.url; });
          markers.set(p.id, marker);
        } else {
          marker.setLatLng(ll);
        }
        marker.bindTooltip(textNode(label));
      });
      // A patrol that ended is gone from the answer: its marker goes too (no position after the end).
      markers.forEach(function (marker, id) {
        if (!seen.has(id)) { map.removeLayer(marker); markers.delete(id); }
      });
      if (status) { status.textContent = patrols.length + " 人在巡 · 更新于 " + hhmm(new Date().toISOString()); }
      if (first) { fit(map, latlngs, 15); first = false; }
    }

    function poll() {
      fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (body) { draw(body.patrols); })
        .catch(function () { if (status) { status.textContent = "刷新失败，稍后重试"; } })
        .then(function () { setTimeout(poll, 30000); });
    }

    draw(cfg.patrols);
    setTimeout(poll, 30000);
  }

  // ------------------------------------------------------------------ track replay

  function replayMap(el, cfg) {
    var map = baseMap(el, cfg);
    var pts = cfg.points;
    if (cfg.grid && cfg.grid.geometry) {
      L.geoJSON(cfg.grid.geometry, { style: { color: "#1c5fa8", weight: 2, fillOpacity: 0.05, dashArray: "4 4" } }).addTo(map);
    }
    var latlngs = pts.map(function (p) { return [p.lat, p.lon]; });
    L.polyline(latlngs, { color: "#9bb7d4", weight: 3 }).addTo(map);
    var walked = L.polyline([], { color: "#1c5fa8", weight: 4 }).addTo(map);
    pts.forEach(function (p) {
      if (p.flags && p.flags.length) {
        L.circleMarker([p.lat, p.lon], { radius: 4, color: COLOURS.overdue, weight: 1, fillOpacity: 0.7 })
          .bindTooltip(textNode("异常定位：" + p.flags.join("、"))).addTo(map);
      }
    });
    L.circleMarker(latlngs[0], { radius: 7, color: "#2e8b57", fillOpacity: 1 }).bindTooltip(textNode("起点")).addTo(map);
    L.circleMarker(latlngs[latlngs.length - 1], { radius: 7, color: "#333", fillOpacity: 1 }).bindTooltip(textNode("终点")).addTo(map);
    var walker = L.circleMarker(latlngs[0], { radius: 9, color: "#fff", weight: 2, fillColor: "#e67e22", fillOpacity: 1 }).addTo(map);
    fit(map, latlngs);

    var play = document.getElementById("sv-play");
    var seek = document.getElementById("sv-seek");
    var speed = document.getElementById("sv-speed");
    var clock = document.getElementById("sv-clock");
    var times = pts.map(function (p) { return new Date(p.t).getTime(); });
    var index = 0;
    var timer = null;
    seek.max = String(pts.length - 1);

    function show(i) {
      index = i;
      walker.setLatLng(latlngs[i]);
      walked.setLatLngs(latlngs.slice(0, i + 1));
      seek.value = String(i);
      var label = "第 " + (i + 1) + " / " + pts.length + " 点 · " + hhmm(pts[i].t);
      clock.textContent = i === pts.length - 1 ? label + " · 终点" : label;
      el.dataset.index = String(i);
    }

    function stop() {
      if (timer) { clearTimeout(timer); timer = null; }
      play.textContent = "播放";
    }

    function step() {
      if (index >= pts.length - 1) { stop(); return; }
      var gap = (times[index + 1] - times[index]) / Number(speed.value);
      show(index + 1);
      if (index >= pts.length - 1) { stop(); return; }  // the end point: stopped, the button says 播放 again
      // At least 40 ms a step, at most 1.5 s, whatever the recording gap, so long pauses do not stall the replay.
      timer = setTimeout(step, Math.max(40, Math.min(1500, gap)));
    }

    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (index >= pts.length - 1) { show(0); }
      play.textContent = "暂停";
      timer = setTimeout(step, 40);
    });
    seek.addEventListener("input", function () { stop(); show(Number(seek.value)); });
    show(0);
  }

  var KINDS = { grids: gridsMap, places: placesMap, now: nowMap, replay: replayMap };
  document.querySelectorAll("[data-sv-map]").forEach(function (el) {
    var draw = KINDS[el.dataset.svMap];
    if (draw) { draw(el, JSON.parse(el.dataset.config)); }
  });
})();
