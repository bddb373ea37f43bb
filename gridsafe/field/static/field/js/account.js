/* Whose phone this is (domain.md §10: a phone may be shared). The page learns the account from the server, then
   opens that account's own database and caches; 退出登录 ends the session on the server, then deletes that account's
   cached data, while its unsent records stay in its own database for its next sign-in, never shown to anyone else.

   No DOM: the store, localStorage, Cache Storage and request() are passed in, so node can test it. */

import { Offline } from "./net.js";

// The account this phone last confirmed with the server. Cleared at sign-out and by the login page (web/login.js),
// so after a sign-in the app learns whose it is from the server before it shows anything kept on the phone.
export const USER_KEY = "gridsafe-field-user";
export const DATA_CACHE_PREFIX = "field-data-u";
export const MEDIA_CACHE_PREFIX = "field-media-u";

export function knownUser(storage) {
  const known = Number.parseInt(storage.getItem(USER_KEY) || "", 10);
  return Number.isInteger(known) ? known : null;
}

export function createNoteUser({ state, db, storage, adopt = async () => {}, onUser = () => {}, onSwitch = async () => {} }) {
  return async function noteUser(id) {
    /* The server said whose session this is. Another account than the one whose data the page holds: switch to
       that account's own database and caches; the other account's stay as they were, unseen. */
    if (state.user === id) return;
    const switching = state.user !== null;
    state.user = id;
    db.use(id);
    storage.setItem(USER_KEY, String(id));
    onUser(id);
    await adopt(id);
    if (switching) {
      state.week = null; state.bundle = null; state.patrol = null;
      await onSwitch();
    }
  };
}

function keysOf(storage) {
  const keys = [];
  for (let i = 0; i < storage.length; i++) keys.push(storage.key(i));
  return keys;
}

export async function signOut({ state, db, request, storage, caches, pendingJobs, stopWatch = () => {} }) {
  /* End the session on the server first (it is the key to everything), then delete what this phone keeps for the
     account: cached answers and photos (Cache Storage), the bundle and 本周 (IndexedDB), the account marker
     (localStorage). Unsent records stay in the account's own database; with none left it is deleted.
     Returns {ok: false, message} when the phone could not sign out (offline), and keeps everything then. */
  try {
    await request("POST", "/auth/logout");
  } catch (e) {
    // A session that has already ended (401) needs no ending: clear the phone all the same.
    if (!state.loginExpired) {
      return { ok: false, message: e instanceof Offline ? "当前离线，无法退出登录。请联网后重试。" : `退出失败：${e.message}` };
    }
  }
  stopWatch();
  const owner = state.user;
  if (owner !== null) {
    if (caches) await Promise.all([DATA_CACHE_PREFIX, MEDIA_CACHE_PREFIX].map((p) => caches.delete(p + owner)));
    const left = (await pendingJobs()).length;
    if (left) {
      await db.clear("kv");
      db.close();
    } else {
      await db.drop();
    }
  }
  for (const key of keysOf(storage)) if (key.startsWith("gridsafe-field")) storage.removeItem(key);
  state.user = null; state.week = null; state.bundle = null; state.patrol = null;
  return { ok: true };
}
