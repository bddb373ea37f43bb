// In-memory stand-ins for what the field app's modules are given in the browser: IndexedDB (one database per
// account, as storage.js keeps them), localStorage, Cache Storage, fetch answers and timers.
import { dbName } from "../../gridsafe/field/static/field/js/storage.js";

const KEYS = { jobs: "id", blobs: "id", kv: "k" };
const copy = (v) => (v === undefined ? undefined : structuredClone(v));

export function memoryDB() {
  // The same interface as storage.js createDB(); values are copied in and out, as IndexedDB does.
  const databases = new Map();
  const db = {
    databases,
    name: null,
    open: false,
    use(owner) { this.open = false; this.name = dbName(owner); },
    stores() {
      if (!this.name) throw new Error("尚未确认登录账号");
      if (!databases.has(this.name)) databases.set(this.name, { jobs: new Map(), blobs: new Map(), kv: new Map() });
      this.open = true;
      return databases.get(this.name);
    },
    async get(store, key) { return copy(this.stores()[store].get(key)); },
    async put(store, value) { this.stores()[store].set(value[KEYS[store]], copy(value)); },
    async del(store, key) { this.stores()[store].delete(key); },
    async all(store) { return [...this.stores()[store].values()].map(copy); },
    async clear(store) { this.stores()[store].clear(); },
    async kv(key, value) {
      if (value === undefined) { const row = await this.get("kv", key); return row ? row.v : undefined; }
      return this.put("kv", { k: key, v: value });
    },
    close() { this.open = false; },
    async drop() { this.open = false; databases.delete(this.name); },
  };
  return db;
}

export function memoryStorage(initial = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    get length() { return map.size; },
    key(i) { return [...map.keys()][i] ?? null; },
    getItem(k) { return map.has(k) ? map.get(k) : null; },
    setItem(k, v) { map.set(k, String(v)); },
    removeItem(k) { map.delete(k); },
  };
}

export function memoryCaches(names = []) {
  const set = new Set(names);
  return { set, async delete(name) { return set.delete(name); }, async has(name) { return set.has(name); } };
}

export function answer(status, body, { redirected = false, url = "", type = "application/json" } = {}) {
  // What fetch() resolves to, as far as net.js reads it.
  return {
    status, ok: status >= 200 && status < 300, redirected, url,
    headers: { get: (h) => (h.toLowerCase() === "content-type" ? type : null) },
    async json() { return body; },
  };
}

export function fakeTimers() {
  // kick() schedules a run; the tests run it when they choose, and read the delay asked for.
  const timers = { pending: null, delays: [],
    setTimeout(fn, delay) { timers.pending = fn; timers.delays.push(delay); return timers.delays.length; },
    clearTimeout() { timers.pending = null; } };
  return timers;
}

export class FakeForm {
  constructor() { this.fields = []; }
  append(k, v) { this.fields.push([k, v]); }
  get(k) { const f = this.fields.find(([key]) => key === k); return f ? f[1] : null; }
}
