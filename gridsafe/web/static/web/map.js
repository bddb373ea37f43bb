/* GridSafe map (/map/): region polygons by level, case points by traffic light, a grid's stats panel.
 *
 * No inline script anywhere: the page hands its settings over in #gs-map[data-config]. Region levels are fetched
 * per zoom bucket (and, for the deep levels of a large 辖区, per viewport) from regions.json; cases from
 * cases.geojson with the filter form's values; a clicked grid's panel is an htmx partial.
 */
(function () {
  "use strict";

  var el = document.getElementById("gs-map");
  if (!el || !window.L) {
    return;
  }
  var cfg = JSON.parse(el.dataset.config);
  var form = document.getElementById("map-filters");
  var statusEl = document.getElementById("map-status");
  var panel = document.getElementById("map-panel");
  var hasTiles = Boolean(cfg.basemap && cfg.basemap.layers.length);

  // Same buckets as map_views.ZOOM_BUCKETS: one request per bucket, not per zoom step.
  var ZOOM_BUCKETS = [8, 10, 12, 14, 16];
  // Zoom range in which a level's names are shown.
  var LABEL_ZOOM = { 1: [99, 0], 2: [0, 12], 3: [12, 99], 4: [15, 99] };
  var TINTS = ["#e3efdc", "#f4ead3", "#dce9f2", "#f1e0e6", "#e6e1f1", "#f3e3d3", "#d9eee8", "#ebeed5"];
  var LIGHT_RANK = { none: 0, green: 1, yellow: 2, red: 3 };
  var SELECTED = { weight: 3, color: "#1c5fa8", dashArray: null, fillColor: "#2f6fb0", fillOpacity: 0.18 };
  var HEAT_WEIGHT = { none: 0.35, green: 0.6, yellow: 0.8, red: 1 };

  function zoomBucket(z) {
    for (var i = 0; i < ZOOM_BUCKETS.length; i++) {
      if (z <= ZOOM_BUCKETS[i]) {
        return ZOOM_BUCKETS[i];
      }
    }
    return ZOOM_BUCKETS[ZOOM_BUCKETS.length - 1];
  }

  function setStatus(text, isError) {
    if (!statusEl) {
      return;
    }
    statusEl.textContent = text;
    statusEl.classList.toggle("is-error", Boolean(isError));
  }

  function fetchJson(url, signal) {
    return fetch(url, { credentials: "same-origin", signal: signal, headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.status === 401) {
          throw new Error("登录已过期，请刷新页面重新登录");
        }
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.detail || "请求失败（" + response.status + "）");
          }
          return body;
        });
      }
    );
  }

  // ------------------------------------------------------------------------------------------- map and panes

  var basemap = window.GridSafeBasemap;
  var map = L.map(el, L.Util.extend({ minZoom: 7, maxZoom: 18, zoomSnap: 0.5, worldCopyJump: false }, basemap.mapOptions(cfg.basemap, L)));
  map.attributionControl.setPrefix(false);
  // Other modules' layers (places/map_layers.js: register objects per domain, township risk colours) attach here.
  el.gsMap = map;
  basemap.attach(map, cfg.basemap, L);
  if (!hasTiles) {
    map.attributionControl.addAttribution("区划边界：本系统数据（无底图）");
  }
  // Regions sit between the tiles (200) and the case layers (overlayPane, 400); names above both.
  [1, 2, 3, 4].forEach(function (level) {
    map.createPane("regions-" + level).style.zIndex = String(350 + level);
  });
  map.createPane("labels").style.zIndex = "450";
  map.createPane("cases").style.zIndex = "610";

  // ------------------------------------------------------------------------------------------- view and hash

  function viewFromHash() {
    var parts = window.location.hash.replace(/^#/, "").split("/");
    if (parts.length !== 3) {
      return null;
    }
    var z = parseFloat(parts[0]);
    var lat = parseFloat(parts[1]);
    var lng = parseFloat(parts[2]);
    if (!isFinite(z) || !isFinite(lat) || !isFinite(lng)) {
      return null;
    }
    return { zoom: z, centre: [lat, lng] };
  }

  function writeHash() {
    var c = map.getCenter();
    var hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    if (hash !== window.location.hash) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    }
  }

  var hashView = viewFromHash();
  var fitted = Boolean(hashView);
  if (hashView) {
    map.setView(hashView.centre, hashView.zoom);
  } else {
    map.setView(cfg.centre, 10);
  }
  window.addEventListener("hashchange", function () {
    var view = viewFromHash();
    if (view) {
      fitted = true;
      map.setView(view.centre, view.zoom);
    }
  });

  // ------------------------------------------------------------------------------------------- region layers

  var selectedGrid = null;
  var levels = {};
  var topLevel = cfg.levels.length ? cfg.levels[0].level : 1;

  function regionStyle(level, feature) {
    var code = feature.properties.code;
    var base = { className: "map-region map-region--l" + level + " map-code-" + code, pane: "regions-" + level };
    var tint = TINTS[(feature.properties.tint || 0) % TINTS.length];
    var fillOpacity = hasTiles ? 0.12 : 0.9;
    if (level === 1) {
      return L.extend(base, { color: "#22364f", weight: 3, opacity: 0.9, fill: false });
    }
    if (level === topLevel) {
      // A township, village or grid 辖区: its own outline is the frame, filled like the county's townships.
      return L.extend(base, { color: "#22364f", weight: 2.6, opacity: 0.9, fillColor: tint, fillOpacity: fillOpacity });
    }
    if (level === 2) {
      return L.extend(base, { color: "#4a6583", weight: 1.6, opacity: 0.9, fillColor: tint, fillOpacity: fillOpacity });
    }
    if (level === 3) {
      return L.extend(base, { color: "#6f7f92", weight: 1.1, opacity: 0.85, fillColor: "#2f6fb0", fillOpacity: 0 });
    }
    var nearTop = level - topLevel <= 1;
    return L.extend(base, {
      color: nearTop ? "#5d6d80" : "#8a98a8",
      weight: nearTop ? 1.2 : 0.8,
      opacity: 0.9,
      dashArray: nearTop ? "5 3" : "3 3",
      fillColor: "#2f6fb0",
      fillOpacity: 0,
    });
  }

  function labelMarker(feature, level) {
    var point = feature.properties.label;
    if (!point) {
      return null;
    }
    var span = document.createElement("span");
    span.textContent = level === 4 ? feature.properties.short || feature.properties.name : feature.properties.name;
    return L.marker([point[1], point[0]], {
      icon: L.divIcon({ className: "map-label map-label--l" + level, html: span, iconSize: null }),
      interactive: false,
      keyboard: false,
      pane: "labels",
    });
  }

  function gridClicked(layer) {
    if (selectedGrid && selectedGrid !== layer) {
      levels[4].layer.resetStyle(selectedGrid);
    }
    selectedGrid = layer;
    layer.setStyle(SELECTED);
    openPanel(layer.feature.properties.code);
  }

  function onEachFeature(level) {
    return function (feature, layer) {
      if (level === 1) {
        return;
      }
      layer.bindTooltip(feature.properties.name, { sticky: true, direction: "top", className: "map-tip" });
      layer.on("mouseover", function () {
        if (layer !== selectedGrid) {
          layer.setStyle(
            level === 2 || level === topLevel ? { weight: 3 } : { weight: 2.2, fillColor: "#2f6fb0", fillOpacity: 0.1 }
          );
        }
      });
      layer.on("mouseout", function () {
        if (layer !== selectedGrid) {
          levels[level].layer.resetStyle(layer);
        }
      });
      layer.on("click", function (event) {
        L.DomEvent.stopPropagation(event);
        if (level === 4) {
          gridClicked(layer);
        } else if (map.getZoom() < map.getBoundsZoom(layer.getBounds().pad(0.05))) {
          map.fitBounds(layer.getBounds(), { padding: [24, 24] }); // 乡镇/村: zoom in to it
        }
      });
    };
  }

  cfg.levels.forEach(function (levelCfg) {
    var level = levelCfg.level;
    levels[level] = {
      cfg: levelCfg,
      layer: L.geoJSON(null, {
        pane: "regions-" + level,
        style: function (feature) {
          return regionStyle(level, feature);
        },
        onEachFeature: onEachFeature(level),
        interactive: level !== 1,
      }),
      labels: L.layerGroup(),
      key: null,
      bounds: null,
      controller: null,
    };
  });

  function viewBbox() {
    // The viewport plus a margin, snapped outwards to 0.05°: small pans reuse the loaded features (and the URL).
    var b = map.getBounds().pad(0.3);
    var step = 0.05;
    return [
      Math.floor(b.getWest() / step) * step,
      Math.floor(b.getSouth() / step) * step,
      Math.ceil(b.getEast() / step) * step,
      Math.ceil(b.getNorth() / step) * step,
    ].map(function (v) {
      return v.toFixed(2);
    });
  }

  function updateLabels() {
    var z = map.getZoom();
    Object.keys(levels).forEach(function (key) {
      var state = levels[key];
      var range = LABEL_ZOOM[key];
      // A village station's own village and grids are few: name them as soon as they are drawn.
      var min = Number(key) >= 3 && Number(key) - topLevel <= 1 ? Math.min(range[0], 13) : range[0];
      var wanted = map.hasLayer(state.layer) && z >= min && z <= range[1];
      if (wanted && !map.hasLayer(state.labels)) {
        state.labels.addTo(map);
      } else if (!wanted && map.hasLayer(state.labels)) {
        map.removeLayer(state.labels);
      }
    });
  }

  function loadLevel(state) {
    var z = map.getZoom();
    var bucket = zoomBucket(z);
    var params = new URLSearchParams({ level: state.cfg.level, zoom: bucket, v: cfg.version });
    var key = String(bucket);
    var loadedBounds = null;
    if (state.cfg.bbox) {
      if (state.key && state.key.split("|")[0] === key && state.bounds && state.bounds.contains(map.getBounds())) {
        return; // this bucket, and the loaded area still covers the view
      }
      var bbox = viewBbox();
      params.set("bbox", bbox.join(","));
      key += "|" + bbox.join(",");
      loadedBounds = L.latLngBounds([Number(bbox[1]), Number(bbox[0])], [Number(bbox[3]), Number(bbox[2])]);
    }
    if (state.key === key) {
      return;
    }
    if (state.controller) {
      state.controller.abort();
    }
    state.controller = new AbortController();
    state.key = key;
    fetchJson(cfg.regionsUrl + "?" + params.toString(), state.controller.signal)
      .then(function (data) {
        var selectedCode = selectedGrid ? selectedGrid.feature.properties.code : null;
        state.layer.clearLayers();
        state.labels.clearLayers();
        if (state.cfg.level === 4) {
          selectedGrid = null;
        }
        state.layer.addData(data);
        state.layer.eachLayer(function (layer) {
          var label = labelMarker(layer.feature, state.cfg.level);
          if (label) {
            state.labels.addLayer(label);
          }
          if (selectedCode && layer.feature.properties.code === selectedCode) {
            selectedGrid = layer;
            layer.setStyle(SELECTED);
          }
        });
        state.bounds = loadedBounds;
        if (state.cfg.top && !fitted && data.features.length) {
          fitted = true;
          map.fitBounds(state.layer.getBounds(), { padding: [16, 16] });
        }
        updateLabels();
        el.dataset["loadedL" + state.cfg.level] = String(data.features.length);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          state.key = null;
          setStatus("区划加载失败：" + error.message, true);
        }
      });
  }

  function refreshRegions() {
    var z = map.getZoom();
    Object.keys(levels).forEach(function (key) {
      var state = levels[key];
      if (z >= state.cfg.minZoom) {
        if (!map.hasLayer(state.layer)) {
          state.layer.addTo(map);
        }
        loadLevel(state);
      } else if (map.hasLayer(state.layer)) {
        map.removeLayer(state.layer);
      }
    });
    updateLabels();
  }

  var moveTimer = null;
  map.on("moveend", function () {
    writeHash();
    window.clearTimeout(moveTimer);
    moveTimer = window.setTimeout(refreshRegions, 120);
  });
  map.on("zoomend", updateLabels);

  // ------------------------------------------------------------------------------------------- cases

  function lightOf(marker) {
    return marker.options.light || "none";
  }

  var clusters = L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 48,
    chunkedLoading: true,
    disableClusteringAtZoom: 17,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: function (cluster) {
      var worst = "none";
      cluster.getAllChildMarkers().forEach(function (marker) {
        if (LIGHT_RANK[lightOf(marker)] > LIGHT_RANK[worst]) {
          worst = lightOf(marker);
        }
      });
      var count = cluster.getChildCount();
      var size = count < 10 ? 30 : count < 100 ? 36 : 44;
      var span = document.createElement("span");
      span.textContent = String(count);
      return L.divIcon({
        html: span,
        className: "map-cluster map-cluster--" + worst,
        iconSize: L.point(size, size),
      });
    },
  });
  var heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 14, minOpacity: 0.3 });
  var casesController = null;

  function popupFor(props) {
    return function () {
      var box = document.createElement("div");
      box.className = "map-popup";
      var link = document.createElement("a");
      link.href = cfg.caseUrl.replace("/0/", "/" + props.id + "/");
      link.textContent = "#" + props.id + " " + props.category;
      var meta = document.createElement("div");
      meta.className = "map-popup-meta";
      var dot = document.createElement("span");
      dot.className = "map-dot map-dot--" + props.light;
      meta.appendChild(dot);
      meta.appendChild(document.createTextNode((cfg.lights[props.light] || "") + " · " + props.state + " · " + props.created));
      box.appendChild(link);
      box.appendChild(meta);
      return box;
    };
  }

  function filterParams() {
    var params = new URLSearchParams();
    ["domain", "state", "light", "date_from", "date_to"].forEach(function (name) {
      var field = form && form.elements[name];
      // state is always sent: "" (全部状态) must survive a reload, where no parameter means the default 未结案.
      if (field && (field.value || name === "state")) {
        params.set(name, field.value);
      }
    });
    return params;
  }

  function loadCases() {
    if (!cfg.levels.length) {
      return;
    }
    var params = filterParams();
    window.history.replaceState(
      null,
      "",
      window.location.pathname + (params.toString() ? "?" + params.toString() : "") + window.location.hash
    );
    if (casesController) {
      casesController.abort();
    }
    casesController = new AbortController();
    setStatus("正在查询隐患…");
    fetchJson(cfg.casesUrl + "?" + params.toString(), casesController.signal)
      .then(function (data) {
        var markers = [];
        var points = [];
        data.features.forEach(function (feature) {
          var c = feature.geometry.coordinates;
          var light = feature.properties.light;
          var marker = L.circleMarker([c[1], c[0]], {
            pane: "cases",
            radius: 7,
            color: "#ffffff",
            weight: 1.5,
            fillColor: cfg.colours[light] || cfg.colours.none,
            fillOpacity: 0.95,
            light: light,
            className: "map-case map-case--" + light,
          });
          marker.bindPopup(popupFor(feature.properties));
          markers.push(marker);
          points.push([c[1], c[0], HEAT_WEIGHT[light] || 0.5]);
        });
        clusters.clearLayers();
        clusters.addLayers(markers);
        heat.setLatLngs(points);
        el.dataset.cases = String(data.features.length);
        if (data.truncated) {
          setStatus(
            "共 " + data.total + " 条隐患，地图只显示最新的 " + data.features.length + " 条（上限 " + data.limit + "），请缩小筛选范围",
            false
          );
        } else {
          setStatus(data.total ? "共 " + data.total + " 条隐患" : "没有符合条件的隐患");
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          setStatus("隐患查询失败：" + error.message, true);
        }
      });
  }

  function toggle(name, on) {
    var layer = name === "heat" ? heat : clusters;
    if (on && !map.hasLayer(layer)) {
      layer.addTo(map);
    } else if (!on && map.hasLayer(layer)) {
      map.removeLayer(layer);
    }
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      loadCases();
    });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.dataset.mapToggle) {
        toggle(target.dataset.mapToggle, target.checked);
      } else if (target.name) {
        loadCases();
      }
    });
    var reset = form.querySelector("[data-map-reset]");
    if (reset) {
      reset.addEventListener("click", function (event) {
        event.preventDefault();
        ["domain", "light", "date_from", "date_to"].forEach(function (name) {
          form.elements[name].value = "";
        });
        form.elements.state.value = "open";
        loadCases();
      });
    }
    form.querySelectorAll("[data-map-toggle]").forEach(function (box) {
      toggle(box.dataset.mapToggle, box.checked);
    });
  } else {
    clusters.addTo(map);
  }

  // ------------------------------------------------------------------------------------------- grid panel

  function openPanel(code) {
    var url = cfg.gridUrl.replace("000000000000000", encodeURIComponent(code));
    panel.hidden = false;
    panel.classList.add("is-loading");
    var done = function () {
      panel.classList.remove("is-loading");
    };
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: panel, swap: "innerHTML" }).then(done, done);
    } else {
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
        })
        .then(function (html) {
          panel.innerHTML = html;
        })
        .catch(function () {
          panel.textContent = "网格统计加载失败";
        })
        .then(done);
    }
  }

  function closePanel() {
    panel.hidden = true;
    panel.textContent = "";
    if (selectedGrid) {
      levels[4].layer.resetStyle(selectedGrid);
      selectedGrid = null;
    }
  }

  panel.addEventListener("click", function (event) {
    if (event.target.closest("[data-map-close]")) {
      closePanel();
    }
  });
  panel.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    panel.textContent =
      status === 404 ? "该网格不在您的辖区内" : status === 401 ? "登录已过期，请刷新页面重新登录" : "网格统计加载失败";
    panel.classList.remove("is-loading");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      closePanel();
    }
  });

  // ------------------------------------------------------------------------------------------- start

  refreshRegions();
  loadCases();
})();
