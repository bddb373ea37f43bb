/* The running field app: the modules wired to this page's DOM, IndexedDB, fetch, geolocation and Cache Storage.
   Screens (screens.js) and the start (../app.js) use what is made here. */

import { createDB, adoptLegacy } from "./storage.js";
import { createRequest, csrfFrom } from "./net.js";
import { createNoteUser, signOut as signOutAccount, DATA_CACHE_PREFIX } from "./account.js";
import { createSync, myGrids as gridsOf, placesOf, placeById as findPlace, checklistFor as findChecklist } from "./sync.js";
import { createOutbox } from "./outbox.js";
import { locate, toFix, addTrackPoint, trackBatchFull, poorAccuracyM } from "./gps.js";
import { routeOf, titleOf, screenFor, createDraws } from "./router.js";
import { h, toast, banner, showBadge } from "./ui.js";
import { uuid } from "./util.js";

export const CFG = document.body.dataset;

export const state = {
  bundle: null,
  week: null,
  patrol: null, // {client_id, grid_code, started_at, seq, buffer: [], last: {lon, lat, t}}
  watchId: null,
  lastFix: null,
  online: navigator.onLine,
  loginExpired: false,
  draft: null,
  user: null, // the account of this session, learnt from the first fresh answer of the server
};

export const DB = createDB(indexedDB);

function loginExpired() {
  state.loginExpired = true;
  banner(h("span", {}, "登录已过期，待上传的记录已保存在本机。", h("a", { href: CFG.login }, "重新登录")));
}

export const request = createRequest({ api: CFG.api, fetch: (url, init) => fetch(url, init), getUser: () => state.user,
  csrf: () => csrfFrom(document.cookie), onLoginExpired: loginExpired });

export async function cachedJSON(path) {
  // Only this account's cache: caches.match() would search every account's.
  if (!("caches" in window) || state.user === null) return null;
  try {
    const name = DATA_CACHE_PREFIX + state.user;
    if (!(await caches.has(name))) return null;
    const hit = await (await caches.open(name)).match(CFG.api + path, { ignoreVary: true });
    return hit ? await hit.json() : null;
  } catch (e) { return null; }
}

export function ownedUrl(url) {
  // Photos shown from the service worker's cache are kept per account: the owner rides on the URL (sw.js strips
  // it before asking the server).
  if (!url || state.user === null || url.startsWith("blob:")) return url;
  return url + (url.includes("?") ? "&" : "?") + "gs_owner=" + state.user;
}

export const noteUser = createNoteUser({
  state, db: DB, storage: localStorage,
  adopt: (id) => adoptLegacy(indexedDB, DB, id),
  onUser: (id) => { document.body.dataset.user = String(id); },
  onSwitch: async () => { stopWatch(); await Outbox.badge(); rerender(); },
});

export const sync = createSync({ state, db: DB, request, cachedJSON, noteUser, toast,
  onBundle: (version) => { document.body.dataset.bundle = version; } });
export const loadBundle = (options) => sync.loadBundle(options);

export const Outbox = createOutbox({ db: DB, request, state, noteUser, toast, onBadge: showBadge,
  onDrained: async () => {
    await loadBundle({ poll: true });
    // Only read-only screens redraw by themselves: a form being filled in is never wiped.
    if (["week", "outbox"].includes(route())) rerender();
  } });

export const myGrids = () => gridsOf(state.bundle);
export const places = () => placesOf(state.bundle);
export const placeById = (id) => findPlace(state.bundle, id);
export const checklistFor = (place) => findChecklist(state.bundle, place);
export const poorLimit = () => poorAccuracyM(state.bundle);

// ------------------------------------------------------------------------------------------------ geolocation

export async function fix(timeout = 12000) {
  const f = await locate(navigator.geolocation, { lastFix: state.lastFix, timeout });
  if (f) state.lastFix = f;
  return f;
}

// ------------------------------------------------------------------------------------------------ patrol

export async function savePatrol() { await DB.kv("patrol", state.patrol || null); }

export function startWatch() {
  if (state.watchId !== null || !navigator.geolocation || !state.patrol) return;
  state.watchId = navigator.geolocation.watchPosition(onPosition, () => {}, {
    enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
}

export function stopWatch() {
  if (state.watchId !== null) navigator.geolocation.clearWatch(state.watchId);
  state.watchId = null;
}

async function onPosition(pos) {
  const f = toFix(pos);
  state.lastFix = f;
  const p = state.patrol;
  if (!p) return stopWatch();  // GPS is sampled only during a patrol
  if (!addTrackPoint(p, f)) return;
  if (trackBatchFull(p)) await flushTrack();
  else await savePatrol();
  const el = document.getElementById("patrol-points");
  if (el) el.textContent = `已记录轨迹点 ${p.seq} 个`;
}

async function flushTrack() {
  const p = state.patrol;
  if (!p || !p.buffer.length) return;
  const points = p.buffer.splice(0);
  await savePatrol();
  await Outbox.add({ id: uuid(), kind: "patrol_track", title: `轨迹 ${points.length} 点`, patrol: p.client_id,
    body: { points } });
}

export async function patrolStart(gridCode) {
  const p = { client_id: uuid(), grid_code: gridCode, started_at: new Date().toISOString(), seq: 0, buffer: [],
    last: null, visits: 0, hazards: 0 };
  state.patrol = p;
  await savePatrol();
  await Outbox.add({ id: p.client_id, kind: "patrol_start", title: "开始巡查",
    body: { client_id: p.client_id, grid_code: gridCode, started_at: p.started_at } });
  startWatch();
  const f = await fix();
  if (f) await onPosition({ coords: { longitude: f.lon, latitude: f.lat, accuracy: f.accuracy_m }, timestamp: Date.now() });
}

export async function patrolEnd(nothingFound, note) {
  const p = state.patrol;
  if (!p) return;
  await flushTrack();
  await Outbox.add({ id: uuid(), kind: "patrol_end", title: "结束巡查", patrol: p.client_id,
    body: { ended_at: new Date().toISOString(), nothing_found: nothingFound, note } });
  state.patrol = null;
  await savePatrol();
  stopWatch();
}

// ------------------------------------------------------------------------------------------------ screens

let SCREENS = {};
export function setScreens(screens) { SCREENS = screens; }

export const route = () => routeOf(location.hash);

export function markTabs() {
  const name = route();
  document.getElementById("title").textContent = titleOf(name);
  for (const a of document.querySelectorAll(".tabs a")) {
    if (a.dataset.tab === name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

const draws = createDraws();
export function rerender() {
  markTabs();
  draws.next();
  screenFor(SCREENS, route())();
}
export const stillCurrent = () => draws.stillCurrent();

export async function signOut() {
  return signOutAccount({ state, db: DB, request, storage: localStorage, caches: "caches" in window ? caches : null,
    pendingJobs: () => Outbox.jobs(), stopWatch });
}
