/* 网格员 PWA (gridsafe.field). ES modules loaded by the browser as they are (no build step), no inline script, no
   on* attributes (CSP). This is the entry: it wires the screens and starts the app. The parts:

     js/outbox.js   queued records: order, retries and back-off, client ids, what a refusal leaves
     js/sync.js     the offline bundle and 本周: fresh answers, what is kept, lookups in the bundle
     js/account.js  whose phone this is: the account switch and 退出登录
     js/storage.js  IndexedDB, one database per account
     js/net.js      the API: what an answer means (offline, login expired, refused)
     js/gps.js      accuracy, distances, which track points are kept
     js/router.js   hash routes to screens
     js/ui.js, js/screens.js   the DOM; js/field.js   the modules wired to this page

   Offline model (domain.md §8): every record gets a client UUID when work starts and goes into an IndexedDB outbox
   first. The outbox sends records in order, then each photo separately; a broken upload is retried with the same
   photo client id, which the server answers once. A job leaves the phone only when the server confirmed the
   record AND all its photos. Refusals (409/422) stay visible with the server's reason.

   A phone may be shared (domain.md §10): everything kept on it is keyed by the account. Each account has its own
   IndexedDB database (gridsafe-field-u<id>) and its own service-worker caches (field-data-u<id>, field-media-u<id>),
   chosen from the account the server confirmed; the page never opens another account's. 退出登录 (the 我的 screen)
   ends the session on the server, then deletes that account's cached data; its unsent records stay in its own
   database and are uploaded when the same account signs in again, never shown to anyone else.

   The pure parts (outbox, sync, account, net, gps, router) are unit-tested under node: tests/js/. */

import { state, DB, Outbox, sync, CFG, noteUser, loadBundle, startWatch, markTabs, rerender, route, setScreens } from "./js/field.js";
import { SCREENS } from "./js/screens.js";
import { knownUser } from "./js/account.js";
import { h, mount, setNet } from "./js/ui.js";

setScreens(SCREENS);

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
  // After the first screen: on a slow link the service worker's precache must not compete with it.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(CFG.sw, { scope: CFG.scope }).catch(() => {});
  Outbox.kick();
  setInterval(() => { if (navigator.onLine) Outbox.kick(); }, 20000);
}

window.GridsafeField = { state, Outbox, DB };  // for support staff in the browser console and for tests
start();
