/* 隐患登记: the location is a click on the map or a search hit; it fills the hidden lon/lat inputs and asks the page
   for nearby open cases of the same category (the "located" event the nearby section listens for). */
(function () {
  "use strict";

  function setPoint(state, lat, lon, label) {
    var form = document.getElementById("register-form");
    form.querySelector("#id_lon").value = lon.toFixed(6);
    form.querySelector("#id_lat").value = lat.toFixed(6);
    document.getElementById("register-point").textContent =
      "已选位置：" + (label ? label + "（" : "") + lon.toFixed(6) + ", " + lat.toFixed(6) + (label ? "）" : "");
    if (state.map) {
      var point = window.L.latLng(lat, lon);
      if (state.marker) state.marker.setLatLng(point);
      else state.marker = window.L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 3, fillColor: "#d64541", fillOpacity: 1 }).addTo(state.map);
      if (label) state.map.setView(point, Math.max(state.map.getZoom(), 15));
    }
    document.body.dispatchEvent(new CustomEvent("located"));
  }

  function initMap(el, state) {
    if (typeof window.L === "undefined") return;
    var L = window.L;
    var basemap = JSON.parse(el.dataset.basemap || '{"layers": []}');
    var map = L.map(el, L.Util.extend({ attributionControl: basemap.layers.length > 0 }, window.GridSafeBasemap.mapOptions(basemap, L)));
    state.map = map;
    window.GridSafeBasemap.attach(map, basemap, L);
    if (!basemap.layers.length) el.classList.add("case-map-blank");
    var source = document.getElementById("register-outline");
    var outline = source ? JSON.parse(source.textContent) : null;
    var layer = outline ? L.geoJSON(outline, { style: { color: "#1f5fae", weight: 2, fillOpacity: 0.04 }, interactive: false }) : null;
    var bounds = layer ? layer.getBounds() : null;
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    else if (el.dataset.lat && el.dataset.lon) map.setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 13);
    else map.setView([25.36, 118.69], 11);
    if (layer) layer.addTo(map);
    map.on("click", function (e) { setPoint(state, e.latlng.lat, e.latlng.lng, ""); });
    var form = document.getElementById("register-form");
    var lon = parseFloat(form.querySelector("#id_lon").value), lat = parseFloat(form.querySelector("#id_lat").value);
    if (!isNaN(lon) && !isNaN(lat)) setPoint(state, lat, lon, "");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-register-map]");
    if (!el) return;
    var state = { map: null, marker: null };
    initMap(el, state);
    document.getElementById("register-hits").addEventListener("click", function (event) {
      var hit = event.target.closest(".register-hit");
      if (!hit) return;
      setPoint(state, parseFloat(hit.dataset.lat), parseFloat(hit.dataset.lon), hit.dataset.name);
    });
    // Enter in the search box searches; it never submits the registration.
    document.getElementById("register-search").addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  });
})();
