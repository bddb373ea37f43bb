/* 网格员 PWA (gridsafe.field). ES modules loaded by the browser as they are (no build step), no inline script, no
   on* attributes (CSP). This file is the entry and the wiring: the modules below given this page's DOM, IndexedDB,
   fetch, geolocation and Cache Storage; then the start.

     js/outbox.js   queued records: order, retries and back-off, client ids, what a refusal leaves
     js/sync.js     the API (what an answer means: offline, login expired, refused), the offline bundle and 本周
     js/storage.js  IndexedDB, one database per account; whose phone it is, and 退出登录
     js/gps.js      accuracy, distances, which track points are kept
     js/router.js   hash routes to screens
     js/screens.js  the DOM: helpers, labels, 本周 (the first screen); js/forms.js: the other screens

   Few files on purpose: on a slow link each file beyond the browser's six connections (HTTP/1.1) costs a round
   trip before the first screen (bench/field_first_screen).

   Offline model (domain.md §8): every record gets a client UUID when work starts and goes into an IndexedDB outbox
   first. The outbox sends records in order, then each photo separately; a broken upload is retried with the same
   photo client id, which the server answers once. A job leaves the phone only when the server confirmed the
   record AND all its photos. Refusals (409/422) stay visible with the server's reason.

   A phone may be shared (domain.md §10): everything kept on it is keyed by the account. Each account has its own
   IndexedDB database (gridsafe-field-u<id>) and its own service-worker caches (field-data-u<id>, field-media-u<id>),
   chosen from the account the server confirmed; the page never opens another account's. 退出登录 (the 我的 screen)
   ends the session on the server, then deletes that account's cached data; its unsent records stay in its own
   database and are uploaded when the same account signs in again, never shown to anyone else.

   The pure parts (outbox, sync, storage, gps, router) are unit-tested under node: tests/js/. */

import { createDB, adoptLegacy, createNoteUser, signOut as signOutAccount, knownUser, DATA_CACHE_PREFIX } from "./js/storage.js";
import { createRequest, csrfFrom, createSync, myGrids as gridsOf, placesOf, placeById as findPlace, checklistFor as findChecklist }
  from "./js/sync.js";
import { createOutbox, jobLabel, uuid } from "./js/outbox.js";
import { locate, toFix, addTrackPoint, trackBatchFull, poorAccuracyM, patrolRule, patrolProgress } from "./js/gps.js";
import { routeOf, titleOf, screenFor, createDraws, redrawAfterUpload } from "./js/router.js";
import { SCREENS, loadForms, h, toast, banner, mount, showBadge, setNet } from "./js/screens.js";

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

export const categoryList = () => (state.bundle && state.bundle.categories) || [];

export const Outbox = createOutbox({ db: DB, request, state, noteUser, toast, onBadge: showBadge,
  label: (job) => jobLabel(job, categoryList()),
  onDrained: async () => {
    await loadBundle({ poll: true });
    // Only read-only screens redraw by themselves (and one that was only waiting for the upload, such as 复查's
    // "等待上传"): a form being filled in is never wiped.
    if (redrawAfterUpload(route(), document.querySelector("#app [data-waiting]"))) rerender();
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
  const progress = document.getElementById("patrol-progress");
  if (progress) progress.textContent = patrolProgress(p, Date.now(), patrolRule(state.bundle)).text;
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

// ------------------------------------------------------------------------------------------------ start

function setOnline(on) {
  state.online = on;
  setNet(on);
  if (on) Outbox.kick();
}

async function start() {
  window.addEventListener("hashchange", rerender);
  window.addEventListener("online", () => setOnline(true));
  window.addEventListener("offline", () => setOnline(false));
  document.getElementById("outbox-chip").addEventListener("click", () => { location.hash = "#outbox"; });
  document.getElementById("account-chip").addEventListener("click", () => { location.hash = "#account"; });
  setOnline(navigator.onLine);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const known = knownUser(localStorage);
  if (known !== null) {
    await noteUser(known);
  } else {
    /* No account confirmed on this phone (first use, or after a sign-out or a sign-in): ask the server before
       anything kept on the phone is opened. */
    try {
      await sync.refreshWeek();
    } catch (e) {
      mount(h("p", { class: "muted center" }, state.loginExpired ? "请先登录。" : "请联网后打开：本机还没有确认当前登录的账号。"));
      window.addEventListener("online", () => location.reload(), { once: true });
      return;
    }
  }
  state.patrol = (await DB.kv("patrol")) || null;
  if (state.patrol) startWatch();
  await Outbox.badge();
  markTabs();
  state.bundle = (await DB.kv("bundle")) || null;
  if (state.bundle) document.body.dataset.bundle = state.bundle.version || "cached";
  // 本周 first, then the bundle: on a slow link the first screen does not share its bandwidth.
  if (route() === "week") await SCREENS.week();
  await loadBundle();
  if (route() !== "week") rerender();
  // After the first screen: on a slow link the other screens' code and the service worker's precache must not
  // compete with it.
  loadForms().catch(() => {});
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(CFG.sw, { scope: CFG.scope }).catch(() => {});
  Outbox.kick();
  setInterval(() => { if (navigator.onLine) Outbox.kick(); }, 20000);
}

window.GridsafeField = { state, Outbox, DB };  // for support staff in the browser console and for tests
start();
