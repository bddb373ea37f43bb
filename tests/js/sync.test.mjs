// The bundle and 本周 (sync.js), what an API answer means (net.js: 401, 409, 5xx), and whose phone it is
// (account.js: switching accounts, 退出登录 and what stays per account).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSync, placeById, checklistFor, mergeNearby, pendingVerifications, myGrids }
  from "../../gridsafe/field/static/field/js/sync.js";
import { createRequest, csrfFrom, Offline, Refused } from "../../gridsafe/field/static/field/js/sync.js";
import { createNoteUser, signOut, knownUser, USER_KEY } from "../../gridsafe/field/static/field/js/storage.js";
import { createOutbox } from "../../gridsafe/field/static/field/js/outbox.js";
import { memoryDB, memoryStorage, memoryCaches, answer, fakeTimers } from "./fakes.mjs";

// ------------------------------------------------------------------------------------------------ the bundle

function syncSetup(respond) {
  const db = memoryDB();
  db.use(7);
  const state = { user: 7, bundle: null, week: null };
  const toasts = [];
  const versions = [];
  const noted = [];
  const sync = createSync({
    state, db, toast: (t) => toasts.push(t), onBundle: (v) => versions.push(v),
    request: async (method, path) => { const r = await respond(method, path); if (r instanceof Error) throw r; return r; },
    cachedJSON: async () => null, noteUser: async (id) => { noted.push(id); },
  });
  return { db, state, toasts, versions, noted, sync };
}

test("a fresh bundle replaces the one kept on the phone and names the account", async () => {
  const fresh = { version: "v2", worker: { id: 7 }, grids: [{ code: "G1" }] };
  const { db, state, versions, noted, sync } = syncSetup(() => ({ data: fresh }));
  await db.kv("bundle", { version: "v1", grids: [] });
  assert.deepEqual(await sync.loadBundle(), fresh);
  assert.deepEqual(state.bundle, fresh);
  assert.deepEqual(await db.kv("bundle"), fresh);
  assert.deepEqual(versions, ["v2"]);
  assert.deepEqual(noted, [7]);
});

test("offline, the page keeps the bundle it has, else the one kept on the phone", async () => {
  const { db, state, versions, toasts, sync } = syncSetup(() => new Offline("网络不可用"));
  await db.kv("bundle", { version: "v1", grids: [{ code: "G1" }] });
  assert.equal((await sync.loadBundle()).version, "v1");
  assert.deepEqual(versions, ["v1"]);
  assert.deepEqual(toasts, []);  // being offline is no error to show
  state.bundle = { grids: [] };
  await sync.loadBundle();
  assert.deepEqual(state.bundle, { grids: [] });
  assert.deepEqual(versions, ["v1", "cached"]);
});

test("a refused bundle request is shown; the kept bundle stays", async () => {
  const { db, toasts, sync } = syncSetup(() => new Refused(403, { detail: "无权限" }));
  await db.kv("bundle", { version: "v1" });
  assert.equal((await sync.loadBundle()).version, "v1");
  assert.deepEqual(toasts, ["无权限"]);
});

test("with nothing kept, the service worker's cache of this account is the last resort", async () => {
  const db = memoryDB();
  db.use(7);
  const state = { user: 7, bundle: null };
  const asked = [];
  const sync = createSync({ state, db, request: async () => { throw new Offline("x"); }, noteUser: async () => {},
    cachedJSON: async (path) => { asked.push(path); return { version: "sw" }; } });
  assert.equal((await sync.loadBundle()).version, "sw");
  assert.deepEqual(asked, ["/field/sync"]);
});

test("本周 is kept for offline use and tells whose session it is", async () => {
  const week = { worker: { id: 7 }, grids: [] };
  const { db, state, noted, sync } = syncSetup(() => ({ data: week }));
  await sync.refreshWeek();
  assert.deepEqual(state.week, week);
  assert.deepEqual(await db.kv("week"), week);
  assert.deepEqual(noted, [7]);
});

test("lookups in the bundle: places by id or by the client id of one not yet uploaded, checklists by kind", () => {
  const bundle = { grids: [{ code: "G1" }], places: [{ id: 3, name: "甲" }, { id: null, client_id: "c-1", name: "乙" }],
    checklists: [{ id: 1, domain: "fire", place_kind: "" }, { id: 2, domain: "fire", place_kind: "crowded_place" }] };
  assert.equal(placeById(bundle, 3).name, "甲");
  assert.equal(placeById(bundle, "c-1").name, "乙");
  assert.equal(placeById(bundle, 4), undefined);
  assert.equal(checklistFor(bundle, { domain: "fire", kind: "crowded_place" }).id, 2);
  assert.equal(checklistFor(bundle, { domain: "fire", kind: "other" }).id, 1);  // the domain's general list
  assert.equal(checklistFor(bundle, { domain: "lpg", kind: "lpg_point" }), null);
  assert.deepEqual(myGrids(null), []);
});

test("nearby cases: the server's answer first, the cached ones add only what it did not name", () => {
  const merged = mergeNearby([{ id: 1, src: "server" }], [{ id: 1, src: "cache" }, { id: 2, src: "cache" }]);
  assert.deepEqual(merged, [{ id: 1, src: "server" }, { id: 2, src: "cache" }]);
});

test("a 复查 waiting in the outbox is not offered again", () => {
  const bundle = { verification_tasks: [{ id: 1 }, { id: 2 }] };
  const { tasks, pending } = pendingVerifications(bundle, [{ kind: "verify", body: { case_id: 1 } }, { kind: "visit", body: {} }]);
  assert.deepEqual(tasks, [{ id: 2 }]);
  assert.deepEqual([...pending], [1]);
});

// ------------------------------------------------------------------------------------------------ API answers

function client(response, state = { user: 7 }) {
  const seen = { expired: 0, init: null, url: null };
  const request = createRequest({ api: "/api/v1", getUser: () => state.user, csrf: () => "tok",
    onLoginExpired: () => { seen.expired += 1; },
    fetch: async (url, init) => { seen.url = url; seen.init = init; if (response instanceof Error) throw response; return response; } });
  return { request, seen };
}

test("an answer names the account for the service worker's per-account cache, and writes carry the CSRF token", async () => {
  const { request, seen } = client(answer(201, { id: 1 }));
  assert.deepEqual(await request("POST", "/cases", { json: { a: 1 } }), { status: 201, data: { id: 1 } });
  assert.equal(seen.url, "/api/v1/cases");
  assert.deepEqual(seen.init.headers, { Accept: "application/json", "X-GridSafe-Owner": "7", "Content-Type": "application/json",
    "X-CSRFToken": "tok" });
  const anon = client(answer(200, {}), { user: null });
  await anon.request("GET", "/field/week", { poll: true });
  assert.deepEqual(anon.seen.init.headers, { Accept: "application/json", "X-GridSafe-Poll": "1" });
  assert.equal(csrfFrom("a=1; csrftoken=x%2By; b=2"), "x+y");
});

test("401 or a redirect to the login page: the login expired, and records wait (Offline, not refused)", async () => {
  for (const response of [answer(401, { detail: "未登录" }), answer(200, null, { redirected: true, url: "/login/?next=/m/", type: "text/html" })]) {
    const { request, seen } = client(response);
    await assert.rejects(request("GET", "/field/sync"), (e) => e instanceof Offline && e.message === "登录已过期");
    assert.equal(seen.expired, 1);
  }
});

test("409 and 422 are refusals with the server's reason; 5xx, 408, 429 and no network are offline", async () => {
  const conflict = client(answer(409, { detail: "他人已修改", code: "edit_conflict" }));
  await assert.rejects(conflict.request("PATCH", "/field/places/1"),
    (e) => e instanceof Refused && e.status === 409 && e.message === "他人已修改" && e.body.code === "edit_conflict");
  await assert.rejects(client(answer(422, null, { type: "text/plain" })).request("POST", "/cases"),
    (e) => e instanceof Refused && e.message === "服务器拒绝（422）");
  for (const status of [500, 503, 408, 429]) {
    await assert.rejects(client(answer(status, null)).request("GET", "/x"),
      (e) => e instanceof Offline && e.message === `服务器暂时不可用（${status}）`);
  }
  await assert.rejects(client(new TypeError("Failed to fetch")).request("GET", "/x"), (e) => e instanceof Offline && e.message === "网络不可用");
});

// ------------------------------------------------------------------------------------------------ accounts

function accountSetup(user = 7) {
  const db = memoryDB();
  const storage = memoryStorage({ "gridsafe-field-user": String(user), "other-app": "keep" });
  const state = { user: null, week: null, bundle: null, patrol: null, loginExpired: false };
  let switched = 0;
  const noteUser = createNoteUser({ state, db, storage, onSwitch: async () => { switched += 1; } });
  const timers = fakeTimers();
  const outbox = createOutbox({ db, state, noteUser, request: async () => { throw new Offline("网络不可用"); },
    setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout });
  return { db, storage, state, noteUser, outbox, switched: () => switched };
}

test("each account has its own database; another account's records are not seen", async () => {
  const { db, state, noteUser, outbox, switched, storage } = accountSetup();
  await noteUser(7);
  await outbox.add({ id: "a", kind: "place_create", title: "王芳的记录", body: {} });
  state.bundle = { grids: ["王芳的网格"] };
  await noteUser(8);  // the server says another account's session is on this phone now
  assert.equal(switched(), 1);
  assert.equal(state.bundle, null);
  assert.equal(db.name, "gridsafe-field-u8");
  assert.deepEqual(await outbox.jobs(), []);
  assert.equal(knownUser(storage), 8);
  await noteUser(7);
  assert.deepEqual((await outbox.jobs()).map((j) => j.title), ["王芳的记录"]);
});

function signOutDeps(env, respond) {
  const caches = memoryCaches(["field-data-u7", "field-media-u7", "field-data-u8", "field-shell-abc"]);
  let stopped = 0;
  return { caches, stopped: () => stopped, deps: { state: env.state, db: env.db, storage: env.storage, caches,
    request: async () => { const r = respond(); if (r instanceof Error) throw r; return r; },
    pendingJobs: () => env.outbox.jobs(), stopWatch: () => { stopped += 1; } } };
}

test("退出登录 with unsent records: the cached data goes, the records stay for the same account only", async () => {
  const env = accountSetup();
  await env.noteUser(7);
  await env.outbox.add({ id: "a", kind: "place_create", title: "未上传", body: {} });
  await env.db.kv("bundle", { grids: ["王芳的网格"] });
  const { caches, deps, stopped } = signOutDeps(env, () => ({ data: {} }));
  assert.deepEqual(await signOut(deps), { ok: true });
  assert.deepEqual([...caches.set].sort(), ["field-data-u8", "field-shell-abc"]);  // only this account's caches
  assert.equal(env.storage.getItem(USER_KEY), null);
  assert.equal(env.storage.getItem("other-app"), "keep");
  assert.equal(env.state.user, null);
  assert.equal(stopped(), 1);
  const kept = env.db.databases.get("gridsafe-field-u7");
  assert.deepEqual([...kept.jobs.keys()], ["a"]);
  assert.equal(kept.kv.size, 0);  // 本周 and the bundle are gone
  // the next worker on this phone sees none of it …
  await env.noteUser(8);
  assert.deepEqual(await env.outbox.jobs(), []);
  // … and the same worker, signed in again, gets the record back to upload
  await env.noteUser(7);
  assert.deepEqual((await env.outbox.jobs()).map((j) => j.title), ["未上传"]);
});

test("退出登录 with nothing unsent deletes the account's database", async () => {
  const env = accountSetup();
  await env.noteUser(7);
  await env.db.kv("week", { worker: { id: 7 } });
  const { deps } = signOutDeps(env, () => ({ data: {} }));
  assert.deepEqual(await signOut(deps), { ok: true });
  assert.equal(env.db.databases.has("gridsafe-field-u7"), false);
});

test("退出登录 offline keeps everything and says why; an already ended session (401) still clears the phone", async () => {
  const env = accountSetup();
  await env.noteUser(7);
  await env.db.kv("week", { worker: { id: 7 } });
  const offline = signOutDeps(env, () => new Offline("网络不可用"));
  assert.deepEqual(await signOut(offline.deps), { ok: false, message: "当前离线，无法退出登录。请联网后重试。" });
  assert.equal(env.state.user, 7);
  assert.equal(offline.caches.set.size, 4);
  assert.equal(env.storage.getItem(USER_KEY), "7");

  const refused = signOutDeps(env, () => new Refused(403, { detail: "禁止" }));
  assert.deepEqual(await signOut(refused.deps), { ok: false, message: "退出失败：禁止" });

  const expired = signOutDeps(env, () => { env.state.loginExpired = true; return new Offline("登录已过期"); });
  assert.deepEqual(await signOut(expired.deps), { ok: true });
  assert.equal(env.state.user, null);
  assert.equal(env.db.databases.has("gridsafe-field-u7"), false);
});
