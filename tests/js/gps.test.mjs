// GPS rules (gps.js): accuracy, freshness of a fix, distances, track thinning, nearby cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  POOR_ACCURACY_M, poorAccuracyM, isPoorAccuracy, metres, toFix, recentFix, locate, keepTrackPoint, addTrackPoint,
  trackBatchFull, nearbyCases, fixSummary, TRACK_BATCH,
} from "../../gridsafe/field/static/field/js/gps.js";

const fixAt = (lon, lat, accuracy_m = 10, t = 0) => ({ lon, lat, accuracy_m, t });

test("accuracy worse than the server's threshold is flagged, not refused; the bundle's value wins", () => {
  assert.equal(POOR_ACCURACY_M, 50);
  assert.equal(isPoorAccuracy(fixAt(0, 0, 50)), false);
  assert.equal(isPoorAccuracy(fixAt(0, 0, 51)), true);
  assert.equal(isPoorAccuracy(null), false);
  assert.equal(poorAccuracyM(null), 50);
  assert.equal(poorAccuracyM({ settings: { poor_accuracy_m: 30 } }), 30);
  assert.equal(isPoorAccuracy(fixAt(0, 0, 40), poorAccuracyM({ settings: { poor_accuracy_m: 30 } })), true);
});

test("what the screen says about a fix", () => {
  assert.deepEqual(fixSummary(fixAt(118.69, 25.36, 8)), { bad: false, text: "定位 25.36000, 118.69000 · 精度 ±8 米" });
  assert.deepEqual(fixSummary(fixAt(118.69, 25.36, 80)), { bad: true, text: "定位 25.36000, 118.69000 · 精度 ±80 米（精度较差，将标记）" });
  assert.deepEqual(fixSummary(null), { bad: true, text: "未获取到定位：请打开手机定位并允许本应用使用位置" });
});

test("distances are great-circle metres (the server's haversine)", () => {
  assert.equal(metres(118.69, 25.36, 118.69, 25.36), 0);
  assert.ok(Math.abs(metres(0, 0, 0, 1) - 111195) < 1);  // one degree of latitude
  // 仙游县 latitude: one degree of longitude is shorter by cos(25.36°)
  assert.ok(Math.abs(metres(118.69, 25.36, 118.70, 25.36) - 1004.9) < 1);
});

test("a position from the phone becomes a fix in WGS-84 as given, accuracy rounded to the metre", () => {
  const f = toFix({ coords: { longitude: 118.6912, latitude: 25.3601, accuracy: 12.6 }, timestamp: 1000 });
  assert.deepEqual(f, { lon: 118.6912, lat: 25.3601, accuracy_m: 13, t: 1000 });
  assert.equal(toFix({ coords: { longitude: 1, latitude: 2, accuracy: null }, timestamp: 5 }).accuracy_m, 0);
});

test("a failed fix falls back to the last one only while it is recent", async () => {
  const last = fixAt(1, 2, 5, 1000);
  assert.equal(recentFix(last, 60999, 60000), last);
  assert.equal(recentFix(last, 61000, 60000), null);
  const failing = { getCurrentPosition: (ok, fail) => fail(new Error("denied")) };
  assert.equal(await locate(failing, { lastFix: last, now: () => 1000 + 119999 }), last);
  assert.equal(await locate(failing, { lastFix: last, now: () => 1000 + 120000 }), null);
  assert.equal(await locate(undefined), null);  // no geolocation at all
  const working = { getCurrentPosition: (ok, fail, opts) => { assert.equal(opts.enableHighAccuracy, true); ok({ coords: { longitude: 3, latitude: 4, accuracy: 7 }, timestamp: 9 }); } };
  assert.deepEqual(await locate(working), { lon: 3, lat: 4, accuracy_m: 7, t: 9 });
});

test("track points closer than 10 s and 15 m to the last kept one are dropped", () => {
  const last = { lon: 118.69, lat: 25.36, t: 0 };
  const near = 0.0001;  // about 11 m of latitude
  assert.equal(keepTrackPoint(null, fixAt(118.69, 25.36)), true);
  assert.equal(keepTrackPoint(last, fixAt(118.69, 25.36 + near, 5, 9000)), false);
  assert.equal(keepTrackPoint(last, fixAt(118.69, 25.36 + near, 5, 10000)), true);  // 10 s later
  assert.equal(keepTrackPoint(last, fixAt(118.69, 25.36 + 2 * near, 5, 1000)), true);  // 22 m away
});

test("kept points are numbered and buffered; a batch is sent every ten", () => {
  const patrol = { seq: 0, buffer: [], last: null };
  for (let i = 0; i < TRACK_BATCH; i++) assert.equal(addTrackPoint(patrol, fixAt(118.69, 25.36 + i * 0.001, 5, i * 1000)), true);
  assert.equal(addTrackPoint(patrol, fixAt(118.69, 25.36 + 9 * 0.001, 5, 9500)), false);
  assert.equal(patrol.seq, 10);
  assert.deepEqual(patrol.buffer[0], { seq: 1, lon: 118.69, lat: 25.36, accuracy_m: 5, recorded_at: "1970-01-01T00:00:00.000Z" });
  assert.deepEqual(patrol.last, { lon: 118.69, lat: 25.369, t: 9000 });
  assert.equal(trackBatchFull(patrol), true);
});

test("nearby open cases: same category, within the radius, with their distance", () => {
  const here = fixAt(118.69, 25.36);
  const cases = [
    { id: 1, category: "fire.exit", lon: 118.69, lat: 25.3609 },  // ~100 m
    { id: 2, category: "fire.exit", lon: 118.69, lat: 25.3630 },  // ~334 m
    { id: 3, category: "lpg.hose", lon: 118.69, lat: 25.3601 },
  ];
  assert.deepEqual(nearbyCases(cases, "fire.exit", here, 200).map((c) => [c.id, c.distance_m]), [[1, 100]]);
  assert.deepEqual(nearbyCases(undefined, "fire.exit", here, 200), []);
});
