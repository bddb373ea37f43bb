/* The base map under every GridSafe Leaflet map (web/basemap.py gives the config, docs/maps.md).
 *
 * - layers: 天地图矢量 / 天地图影像 (each a base and an annotation layer) and/or a custom provider, with a layer
 *   switcher and a "无底图" choice; none configured: the region polygons on a plain background.
 * - fallback: when a base layer's tiles cannot be loaded (offline government networks, a wrong key) the map drops
 *   to the plain background; a line on the map always says which background it shows.
 * - GCJ-02: when the tiles are drawn in GCJ-02 (高德, 腾讯), the map's projection shifts WGS-84 points to GCJ-02
 *   before projecting, so every overlay (GeoJSON, markers) is drawn where the tiles have it, and clicks come back
 *   as WGS-84. The formula is regions/coords.py's (tests/js/basemap.test.mjs and web/tests/test_basemap.py check it).
 *
 * An ES module, loaded before the page's own script (both deferred, so in document order); the pages reach it as
 * window.GridSafeBasemap.
 */

const A = 6378245.0; // Krasovsky 1940 semi-major axis, as in the GCJ-02 formula
const EE = 0.00669342162296594323;

export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x, y) {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}

function transformLon(x, y) {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}

/** WGS-84 → GCJ-02, [lon, lat] in degrees; outside China unchanged. */
export function wgsToGcj(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = transformLat(lon - 105.0, lat - 35.0);
  let dLon = transformLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** GCJ-02 → WGS-84 by iterating the forward formula (as regions/coords.py does), to 1e-10°. */
export function gcjToWgs(lon, lat) {
  let wLon = lon;
  let wLat = lat;
  for (let i = 0; i < 30; i++) {
    const [gLon, gLat] = wgsToGcj(wLon, wLat);
    const dLon = lon - gLon;
    const dLat = lat - gLat;
    wLon += dLon;
    wLat += dLat;
    if (Math.abs(dLon) < 1e-10 && Math.abs(dLat) < 1e-10) break;
  }
  return [wLon, wLat];
}

/** A Web Mercator CRS whose projection shifts WGS-84 to GCJ-02 first: overlays stay in WGS-84. */
export function gcjCrs(L) {
  const mercator = L.Projection.SphericalMercator;
  const projection = {
    R: mercator.R,
    MAX_LATITUDE: mercator.MAX_LATITUDE,
    bounds: mercator.bounds,
    project(latlng) {
      const [lon, lat] = wgsToGcj(latlng.lng, latlng.lat);
      return mercator.project(L.latLng(lat, lon));
    },
    unproject(point) {
      const gcj = mercator.unproject(point);
      const [lon, lat] = gcjToWgs(gcj.lng, gcj.lat);
      return L.latLng(lat, lon);
    },
  };
  return L.Util.extend({}, L.CRS.EPSG3857, { code: "GridSafe:GCJ02", projection });
}

/** Options to merge into L.map(el, …): the CRS the tiles need. */
export function mapOptions(cfg, L) {
  return cfg && cfg.crs === "gcj02" && cfg.layers && cfg.layers.length ? { crs: gcjCrs(L) } : {};
}

const PLAIN = "无底图";

/** What the status line says. */
export function statusText(state, name) {
  if (state === "failed") return "底图：" + name + "无法加载（网络不通或密钥无效），已改用无底图背景（区划边界）";
  if (state === "plain") return "底图：无（区划边界）";
  return "底图：" + name;
}

/**
 * Add the configured base layers to `map`, a switcher when there is a choice, and the status line.
 * Returns {current(), status()}: the name of the background shown, and the status text.
 */
export function attach(map, cfg, L) {
  const container = map.getContainer();
  const layers = (cfg && cfg.layers) || [];
  let statusEl = null;
  let currentName = PLAIN;
  let state = "plain";

  const Status = L.Control.extend({
    onAdd() {
      statusEl = L.DomUtil.create("div", "gs-basemap-status");
      statusEl.setAttribute("role", "status");
      statusEl.setAttribute("aria-live", "polite");
      return statusEl;
    },
  });
  new Status({ position: "bottomleft" }).addTo(map);

  function show(newState, name) {
    state = newState;
    currentName = name;
    container.classList.toggle("map-canvas--plain", newState !== "tiles");
    container.dataset.basemap = newState === "tiles" ? name : PLAIN;
    if (statusEl) statusEl.textContent = statusText(newState, name);
  }

  if (!layers.length) {
    show("plain", PLAIN);
    return { current: () => currentName, status: () => (statusEl ? statusEl.textContent : "") };
  }

  const groups = {};
  const plain = L.layerGroup();
  layers.forEach((layer) => {
    const options = { maxZoom: layer.maxZoom || 18, attribution: layer.attribution || "" };
    if (layer.subdomains) options.subdomains = layer.subdomains;
    const base = L.tileLayer(layer.url, options);
    const parts = [base];
    if (layer.labelsUrl) parts.push(L.tileLayer(layer.labelsUrl, L.Util.extend({}, options, { attribution: "" })));
    const group = L.layerGroup(parts);
    group.gsName = layer.name;
    // A base layer that errs before any of its tiles loaded is unreachable: fall back to the plain background.
    let loaded = 0;
    let failed = 0;
    base.on("tileload", () => {
      loaded += 1;
      if (state !== "tiles" && map.hasLayer(group)) show("tiles", layer.name);
    });
    base.on("tileerror", () => {
      failed += 1;
      if (!loaded && failed >= 2 && map.hasLayer(group)) {
        map.removeLayer(group);
        plain.addTo(map);
        show("failed", layer.name);
      }
    });
    groups[layer.name] = group;
  });
  groups[PLAIN] = plain;
  if (Object.keys(groups).length > 1) {
    L.control.layers(groups, null, { position: "topright", collapsed: false }).addTo(map);
  }
  map.on("baselayerchange", (event) => {
    if (event.layer === plain) show("plain", PLAIN);
    else show("loading", event.layer.gsName);
  });
  groups[layers[0].name].addTo(map);
  show("loading", layers[0].name);
  return { current: () => currentName, status: () => (statusEl ? statusEl.textContent : "") };
}

if (typeof window !== "undefined") {
  window.GridSafeBasemap = { attach, mapOptions, wgsToGcj, gcjToWgs, statusText };
}
