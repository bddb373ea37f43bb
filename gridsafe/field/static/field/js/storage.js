/* What the phone keeps, per account (domain.md §10): one IndexedDB database per account, gridsafe-field-u<id>,
   with three stores: jobs (the outbox), blobs (photos of queued jobs) and kv (the bundle, 本周, the patrol).
   The database is chosen from the account the server confirmed (use()); nothing of another account is opened.

   Every other module uses the same small interface (use, get, put, del, all, kv, clear, close, drop), so the unit
   tests pass an in-memory store instead. */

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
