/* GPS rules of the field app: accuracy, freshness of a fix, distances, and which track points are kept. Pure
   functions (the browser's geolocation is passed in), so node can test them.

   Positions are WGS-84 as the phone's GPS gives them; they are sent as such (crs "wgs84") and the server converts
   for its maps. The phone never converts and never reads a photo's EXIF position. */

// The server's threshold (field/services.py, cases/services: POOR_ACCURACY_M), sent in the sync bundle's settings;
// this value is used only before the first bundle arrives.
export const POOR_ACCURACY_M = 50;
export const TRACK_BATCH = 10;
export const TRACK_MIN_SECONDS = 10;
export const TRACK_MIN_METRES = 15;
export const LAST_FIX_FALLBACK_MS = 120000;  // a failed fix falls back to the last one this young
export const VISIT_FIX_MS = 60000;  // a 检查 reuses the patrol's last fix this young instead of asking again

export function poorAccuracyM(bundle) {
  const value = bundle && bundle.settings && bundle.settings.poor_accuracy_m;
  return typeof value === "number" ? value : POOR_ACCURACY_M;
}

export function isPoorAccuracy(f, limit = POOR_ACCURACY_M) {
  // Flagged, never refused (domain.md §8): the worker is told and the record says so.
  return !!f && f.accuracy_m > limit;
}

export function metres(lon1, lat1, lon2, lat2) {
  // Haversine on a sphere of 6 371 km: the same formula as the server's (field/services.py).
  const r = Math.PI / 180, a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(a));
}

export function toFix(pos) {
  return { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy_m: Math.round(pos.coords.accuracy || 0),
    t: pos.timestamp || Date.now() };
}

export function recentFix(last, now, maxAgeMs) {
  return last && now - last.t < maxAgeMs ? last : null;
}

export function locate(geolocation, { lastFix = null, timeout = 12000, now = Date.now } = {}) {
  /* One fix from the phone; when it fails, the last fix if it is recent, else null (the screen asks to turn GPS on). */
  return new Promise((resolve) => {
    if (!geolocation) return resolve(null);
    geolocation.getCurrentPosition(
      (pos) => resolve(toFix(pos)),
      () => resolve(recentFix(lastFix, now(), LAST_FIX_FALLBACK_MS)),
      { enableHighAccuracy: true, timeout, maximumAge: 15000 },
    );
  });
}

export function keepTrackPoint(last, f) {
  // A point closer than 10 s AND 15 m to the last kept one adds nothing to the coverage map.
  return !(last && (f.t - last.t) / 1000 < TRACK_MIN_SECONDS && metres(last.lon, last.lat, f.lon, f.lat) < TRACK_MIN_METRES);
}

export function addTrackPoint(patrol, f) {
  /* Records the fix in the patrol's buffer when it is kept; returns whether it was. The walked distance (fixes
     good enough to trust) is kept on the patrol for the phone's own estimate of the county's rule. */
  if (!keepTrackPoint(patrol.last, f)) return false;
  if (patrol.last && !isPoorAccuracy(f)) patrol.metres = (patrol.metres || 0) + metres(patrol.last.lon, patrol.last.lat, f.lon, f.lat);
  patrol.seq += 1;
  patrol.buffer.push({ seq: patrol.seq, lon: f.lon, lat: f.lat, accuracy_m: f.accuracy_m, recorded_at: new Date(f.t).toISOString() });
  patrol.last = { lon: f.lon, lat: f.lat, t: f.t };
  return true;
}

export const trackBatchFull = (patrol) => patrol.buffer.length >= TRACK_BATCH;

export function nearbyCases(openCases, category, f, radius) {
  /* Open cases of the same category within the radius of the fix, nearest distance rounded to the metre. */
  return (openCases || [])
    .filter((c) => c.category === category)
    .map((c) => ({ ...c, distance_m: Math.round(metres(f.lon, f.lat, c.lon, c.lat)) }))
    .filter((c) => c.distance_m <= radius);
}

export function fixSummary(f, limit = POOR_ACCURACY_M) {
  /* What the screen says about a fix: the text and whether it is shown as poor. */
  if (!f) return { bad: true, text: "未获取到定位：请打开手机定位并允许本应用使用位置" };
  const bad = isPoorAccuracy(f, limit);
  return { bad, text: `定位 ${f.lat.toFixed(5)}, ${f.lon.toFixed(5)} · 精度 ±${f.accuracy_m} 米${bad ? "（精度较差，将标记）" : ""}` };
}

export const PATROL_RULE = { minutes: 20, metres: 500 };  // the server's default (field.PatrolRule) before a bundle

export function patrolRule(bundle) {
  const st = bundle && bundle.settings;
  return st && typeof st.patrol_min_minutes === "number"
    ? { minutes: st.patrol_min_minutes, metres: st.patrol_min_distance_m } : PATROL_RULE;
}

export function patrolProgress(patrol, now, rule = PATROL_RULE) {
  /* The phone's estimate of the county's rule for the patrol so far (the server decides, inside the grid only):
     minutes since the start, metres walked, and whether it would fall short if ended now. */
  const minutes = Math.max(0, (now - Date.parse(patrol.started_at)) / 60000);
  const walked = patrol.metres || 0;
  const short = minutes < rule.minutes || walked < rule.metres;
  const text = `已巡查 ${Math.floor(minutes)} 分钟 · 约 ${Math.round(walked)} 米（计入覆盖需网格内 ≥${rule.minutes} 分钟且 ≥${rule.metres} 米）`;
  return { minutes, metres: walked, short, text };
}
