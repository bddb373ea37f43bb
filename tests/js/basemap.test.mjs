// The base map's WGS-84 → GCJ-02 shift (basemap.js) against regions/coords.py, the server's reference conversion.
// The expected values below were printed by gridsafe.regions.coords.from_wgs84(lon, lat, "gcj02");
// gridsafe/web/tests/test_basemap.py compares the two over many more points by running this module under node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { wgsToGcj, gcjToWgs, outOfChina, statusText, mapOptions } from "../../gridsafe/web/static/web/basemap.js";

const KNOWN = [
  ["仙游县城", 118.6946, 25.3621, 118.69921898044376, 25.35925624151387],
  ["北京天安门", 116.3913, 39.9075, 116.39754118159271, 39.90890127616531],
  ["莆田", 119.0077, 25.454, 119.01243433082422, 25.451217879797532],
  ["乌鲁木齐", 87.6168, 43.8256, 87.61964994946926, 43.82680539311119],
  ["三亚", 109.5119, 18.2528, 109.51598429482667, 18.25109479173564],
];
const EPS = 1e-9; // degrees: about 0.1 mm

test("WGS-84 → GCJ-02 matches regions/coords.py at known points", () => {
  for (const [name, lon, lat, gLon, gLat] of KNOWN) {
    const [x, y] = wgsToGcj(lon, lat);
    assert.ok(Math.abs(x - gLon) < EPS && Math.abs(y - gLat) < EPS, `${name}: ${x},${y} ≠ ${gLon},${gLat}`);
  }
});

test("the shift in 仙游 is some hundreds of metres: overlays would sit visibly off on GCJ-02 tiles unshifted", () => {
  const [x, y] = wgsToGcj(118.6946, 25.3621);
  const dx = (x - 118.6946) * 111320 * Math.cos((25.3621 * Math.PI) / 180);
  const dy = (y - 25.3621) * 110574;
  const metres = Math.hypot(dx, dy);
  assert.ok(metres > 300 && metres < 700, `shift ${metres} m`);
});

test("GCJ-02 → WGS-84 inverts the shift to 1e-9 degrees, and matches coords.to_wgs84", () => {
  for (const [name, lon, lat] of KNOWN) {
    const [gLon, gLat] = wgsToGcj(lon, lat);
    const [wLon, wLat] = gcjToWgs(gLon, gLat);
    assert.ok(Math.abs(wLon - lon) < EPS && Math.abs(wLat - lat) < EPS, name);
  }
  const [wLon, wLat] = gcjToWgs(118.7, 25.36); // coords.to_wgs84(118.70, 25.36, "gcj02")
  assert.ok(Math.abs(wLon - 118.69537950751584) < EPS && Math.abs(wLat - 25.362842526815832) < EPS);
});

test("outside China nothing is shifted", () => {
  assert.equal(outOfChina(2.35, 48.85), true);
  assert.deepEqual(wgsToGcj(2.35, 48.85), [2.35, 48.85]);
  assert.deepEqual(gcjToWgs(139.69, 35.69 - 100), [139.69, 35.69 - 100]);
});

test("only GCJ-02 tiles change the map's CRS; the status line names the background", () => {
  const fakeL = {
    Projection: { SphericalMercator: { R: 6378137, MAX_LATITUDE: 85, bounds: null, project: (ll) => ll, unproject: (p) => p } },
    CRS: { EPSG3857: { code: "EPSG:3857" } },
    Util: { extend: Object.assign },
    latLng: (lat, lng) => ({ lat, lng }),
  };
  assert.deepEqual(mapOptions({ crs: "wgs84", layers: [{}] }, fakeL), {});
  assert.deepEqual(mapOptions({ crs: "gcj02", layers: [] }, fakeL), {});
  const crs = mapOptions({ crs: "gcj02", layers: [{}] }, fakeL).crs;
  assert.equal(crs.code, "GridSafe:GCJ02");
  const projected = crs.projection.project({ lat: 25.3621, lng: 118.6946 });
  assert.ok(Math.abs(projected.lng - 118.69921898044376) < EPS && Math.abs(projected.lat - 25.35925624151387) < EPS);
  const back = crs.projection.unproject({ lat: 25.35925624151387, lng: 118.69921898044376 });
  assert.ok(Math.abs(back.lng - 118.6946) < EPS && Math.abs(back.lat - 25.3621) < EPS);
  assert.equal(statusText("tiles", "天地图矢量"), "底图：天地图矢量");
  assert.equal(statusText("plain", "无底图"), "底图：无（区划边界）");
  assert.match(statusText("failed", "天地图影像"), /天地图影像无法加载.*无底图背景/);
});
