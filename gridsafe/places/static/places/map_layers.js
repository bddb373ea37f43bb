/* Register layers on the map page (/map/): the supervised objects of each domain (台账图层) and the townships
 * coloured by their worst risk point (风险分布, 红橙黄蓝). Data from /places/map/objects.geojson and
 * /places/map/risk.geojson, fetched when a layer is first switched on. Attaches to the Leaflet map that
 * web/map.js leaves on #gs-map (el.gsMap); no inline script. */
(function () {
  "use strict";

  var script = document.currentScript;
  var el = document.getElementById("gs-map");
  if (!script || !el || !window.L || !el.gsMap) {
    return;
  }
  var map = el.gsMap;
  var urls = { objects: script.dataset.objects, risk: script.dataset.risk, card: script.dataset.card };

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error("图层加载失败（" + r.status + "）");
      }
      return r.json();
    });
  }

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  // The CSP allows no inline styles: swatches carry their colour in data-colour and are painted through the CSSOM.
  function paint(root) {
    root.querySelectorAll(".reg-swatch[data-colour]").forEach(function (span) {
      span.style.display = "inline-block";
      span.style.width = "12px";
      span.style.height = "12px";
      span.style.marginRight = "4px";
      span.style.verticalAlign = "middle";
      span.style.background = span.dataset.colour;
    });
  }

  function swatch(colour) {
    return '<span class="reg-swatch" data-colour="' + esc(colour) + '"></span>';
  }

  var control = L.control.layers(null, null, { collapsed: true, position: "topright" }).addTo(map);
  control.getContainer().setAttribute("aria-label", "台账图层");
  var loaders = [];

  // ---- township risk choropleth
  var riskLayer = L.geoJSON(null, {
    style: function (f) {
      return { color: "#555", weight: 1, fillColor: f.properties.colour, fillOpacity: f.properties.worst ? 0.55 : 0.15 };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var c = p.counts || {};
      layer.bindPopup(
        "<b>" + esc(p.name) + "</b><br>最高：" + esc(p.worst_label) + "<br>重大 " + (c.red || 0) + " · 较大 " +
          (c.orange || 0) + " · 一般 " + (c.yellow || 0) + " · 低 " + (c.blue || 0)
      );
    },
  });
  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend risk-legend");
    div.setAttribute("aria-label", "风险分布图例");
    div.innerHTML = "<b>风险分布（乡镇最高等级）</b>";
    return div;
  };
  loaders.push({ layer: riskLayer, load: function () {
    return getJson(urls.risk).then(function (data) {
      riskLayer.addData(data);
      riskLayer.bringToBack();
      var box = legend.getContainer();
      (data.legend || []).forEach(function (g) {
        box.insertAdjacentHTML("beforeend", "<div>" + swatch(g.colour) + esc(g.label) + "</div>");
      });
      paint(box);
    });
  } });
  control.addOverlay(riskLayer, "风险分布（乡镇）");

  // ---- one layer per register domain
  function domainLayer() {
    return L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, weight: 1, color: "#fff", fillColor: f.properties.colour, fillOpacity: 0.9 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<b>" + esc(p.name) + "</b><br>" + esc(p.domain_name) + '<br><a href="' + urls.card +
          encodeURIComponent(p.domain) + "/" + p.id + '/">查看台账</a>');
      },
    });
  }

  // One request for every domain's objects (capped server-side): the layer list comes with it.
  getJson(urls.objects).then(function (data) {
    var byDomain = {};
    (data.features || []).forEach(function (f) {
      (byDomain[f.properties.domain] = byDomain[f.properties.domain] || []).push(f);
    });
    (data.layers || []).forEach(function (info) {
      var layer = domainLayer();
      layer.addData({ type: "FeatureCollection", features: byDomain[info.code] || [] });
      control.addOverlay(layer, swatch(info.colour) + esc(info.name) + "（" + (byDomain[info.code] || []).length + "）");
    });
    paint(control.getContainer());
  }).catch(function () {});

  map.on("overlayadd overlayremove", function () {
    window.setTimeout(function () { paint(control.getContainer()); }, 0);
  });
  map.on("overlayadd", function (e) {
    loaders.forEach(function (l) {
      if (l.layer === e.layer && !l.loaded) {
        l.loaded = true;
        l.load().catch(function (err) { l.loaded = false; window.console && console.warn(err); });
      }
    });
    if (e.layer === riskLayer) {
      legend.addTo(map);
    }
  });
  map.on("overlayremove", function (e) {
    if (e.layer === riskLayer) {
      legend.remove();
    }
  });
})();
