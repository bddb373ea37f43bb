/* What the phone keeps, per account (domain.md §10): one IndexedDB database per account, gridsafe-field-u<id>,
   with three stores: jobs (the outbox), blobs (photos of queued jobs) and kv (the bundle, 本周, the patrol).
   The database is chosen from the account the server confirmed (use()); nothing of another account is opened.

   Every other module uses the same small interface (use, get, put, del, all, kv, clear, close, drop), so the unit
   tests pass an in-memory store instead. */

import { Offline } from "./sync.js";

export const LEGACY_DB = "gridsafe-field";  // before per-account databases: one database for whoever used the phone
export const dbName = (owner) => `gridsafe-field-u${owner}`;

function deleteDatabase(idb, name) {
  return new Promise((resolve) => { const r = idb.deleteDatabase(name); r.onsuccess = r.onerror = r.onblocked = resolve; });
}

export function createDB(idb) {
  return {
    _db: null,
    name: null,
    use(owner) {
      // One database per account: switching accounts closes the previous one; nothing of it is read again.
      if (this._db) this._db.close();
      this._db = null;
      this.name = dbName(owner);
    },
    open() {
      if (this._db) return Promise.resolve(this._db);
      if (!this.name) return Promise.reject(new Error("尚未确认登录账号"));
      return new Promise((resolve, reject) => {
        const req = idb.open(this.name, 1);
        req.onupgradeneeded = () => {
          const db = req.result;
          db.createObjectStore("jobs", { keyPath: "id" });
          db.createObjectStore("blobs", { keyPath: "id" });
          db.createObjectStore("kv", { keyPath: "k" });
        };
        req.onsuccess = () => { this._db = req.result; resolve(req.result); };
        req.onerror = () => reject(req.error);
      });
    },
    async tx(store, mode, fn) {
      const db = await this.open();
      return new Promise((resolve, reject) => {
        const t = db.transaction(store, mode);
        const result = fn(t.objectStore(store));
        t.oncomplete = () => resolve(result && "result" in result ? result.result : result);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    },
    get(store, key) { return this.tx(store, "readonly", (s) => s.get(key)); },
    put(store, value) { return this.tx(store, "readwrite", (s) => { s.put(value); }); },
    del(store, key) { return this.tx(store, "readwrite", (s) => { s.delete(key); }); },
    all(store) { return this.tx(store, "readonly", (s) => s.getAll()); },
    clear(store) { return this.tx(store, "readwrite", (s) => { s.clear(); }); },
    async kv(key, value) {
      if (value === undefined) { const row = await this.get("kv", key); return row ? row.v : undefined; }
      return this.put("kv", { k: key, v: value });
    },
    close() {
      if (this._db) this._db.close();
      this._db = null;
    },
    async drop() {
      // The account's database goes entirely (sign-out with nothing left to upload).
      this.close();
      await deleteDatabase(idb, this.name);
    },
  };
}

export async function adoptLegacy(idb, DB, id) {
  /* Records an earlier version kept in the one shared database move to their owner's own database the first
     time that owner is confirmed; cached data there is dropped. Once it holds no records it is deleted. */
  let legacy;
  try {
    legacy = await new Promise((resolve, reject) => {
      const req = idb.open(LEGACY_DB);
      req.onupgradeneeded = () => { req.transaction.abort(); };  // it did not exist: do not create it
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } catch (e) { return; }
  const read = (store, fn) => new Promise((resolve, reject) => {
    const t = legacy.transaction(store, "readwrite");
    const r = fn(t.objectStore(store));
    t.oncomplete = () => resolve(r && "result" in r ? r.result : undefined);
    t.onerror = () => reject(t.error);
  });
  try {
    const ownerRow = await read("kv", (st) => st.get("owner"));
    const fallback = ownerRow ? ownerRow.v : null;
    const jobs = await read("jobs", (st) => st.getAll());
    for (const job of jobs) {
      if ((job.owner ?? fallback) !== id) continue;
      for (const m of job.media || []) {
        const blob = await read("blobs", (st) => st.get(m.cid));
        if (blob) await DB.put("blobs", blob);
      }
      job.owner = id;
      await DB.put("jobs", job);
      for (const m of job.media || []) await read("blobs", (st) => { st.delete(m.cid); });
      await read("jobs", (st) => { st.delete(job.id); });
    }
    await read("kv", (st) => { st.clear(); });
    const left = await read("jobs", (st) => st.count());
    legacy.close();
    if (!left) idb.deleteDatabase(LEGACY_DB);
  } catch (e) { legacy.close(); }
}

// ------------------------------------------------------------------------------------------------ accounts
/* Whose phone this is (domain.md §10: a phone may be shared). The page learns the account from the server, then
   opens that account's own database and caches; 退出登录 ends the session on the server, then deletes that account's
   cached data, while its unsent records stay in its own database for its next sign-in, never shown to anyone else.
   localStorage, Cache Storage and request() are passed in, so node can test it. */

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
