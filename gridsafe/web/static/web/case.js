/* The small location map on a case page: the case point and its grid polygon on the configured base map
 * (basemap.js: 天地图 or another provider, else the plain background). */
(function () {
  "use strict";

  function initMap(el) {
    if (el.dataset.ready || typeof window.L === "undefined") return;
    el.dataset.ready = "1";
    var L = window.L;
    var point = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
    var basemap = JSON.parse(el.dataset.basemap || '{"layers": []}');
    var map = L.map(el, L.Util.extend({
      scrollWheelZoom: false,
      attributionControl: basemap.layers.length > 0,
    }, window.GridSafeBasemap.mapOptions(basemap, L)));
    window.GridSafeBasemap.attach(map, basemap, L);
    if (!basemap.layers.length) el.classList.add("case-map-blank");
    // Vector layers need the map's view first: build the grid layer, set the view, then add the layers.
    var grid = null;
    var source = document.getElementById(el.dataset.geometryId);
    var geometry = source ? JSON.parse(source.textContent) : null;
    if (geometry) {
      grid = L.geoJSON(geometry, {
        style: { color: "#1f5fae", weight: 2, fillColor: "#1f5fae", fillOpacity: 0.08 },
        interactive: false,
      });
    }
    var bounds = grid ? grid.getBounds() : null;
    if (bounds && bounds.isValid()) {
      bounds.extend(point);
      map.fitBounds(bounds, { padding: [18, 18], maxZoom: 17 });
    } else {
      map.setView(point, 16);
    }
    if (grid) grid.addTo(map);
    L.circleMarker(point, { radius: 9, color: "#ffffff", weight: 3, fillColor: "#d64541", fillOpacity: 1 })
      .addTo(map)
      .bindTooltip(el.dataset.label || "", { direction: "top", offset: [0, -8] });
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-case-map]")) initMap(scope);
    scope.querySelectorAll("[data-case-map]").forEach(initMap);
  }

  if (window.htmx) {
    window.htmx.onLoad(scan);
  } else {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  }
})();
