// The outbox (gridsafe/field/static/field/js/outbox.js): order, client ids, retries and back-off, refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createOutbox, retryJob, overwriteWithMine, badgeInfo, BACKOFF_START_MS, BACKOFF_MAX_MS, NEXT_JOB_MS }
  from "../../gridsafe/field/static/field/js/outbox.js";
import { Offline, Refused } from "../../gridsafe/field/static/field/js/sync.js";
import { memoryDB, fakeTimers, FakeForm } from "./fakes.mjs";

function setup({ user = 7, answer = () => ({ data: {} }) } = {}) {
  const db = memoryDB();
  if (user !== null) db.use(user);
  const state = { user, loginExpired: false };
  const calls = [];
  const toasts = [];
  const badges = [];
  const timers = fakeTimers();
  const seen = { drained: 0, noted: [] };
  const request = async (method, path, opts = {}) => {
    calls.push({ method, path, ...opts });
    const result = await answer(method, path, opts, calls.length);
    if (result instanceof Error) throw result;
    return result;
  };
  const outbox = createOutbox({
    db, request, state, toast: (t) => toasts.push(t), onBadge: (b) => badges.push(b),
    noteUser: async (id) => { seen.noted.push(id); state.user = id; db.use(id); },
    onDrained: async () => { seen.drained += 1; },
    FormData: FakeForm, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
  });
  return { db, state, calls, toasts, badges, timers, seen, outbox };
}

const place = (id, name = "林记小卖部") => ({ id, kind: "place_create", title: `新增 ${name}`, body: { client_id: id, name } });

test("a record is kept on the phone first, with its owner, and the badge counts it", async () => {
  const { db, outbox, badges, timers } = setup();
  const photo = { cid: "p1", blob: new Uint8Array([1, 2, 3]), role: "report" };
  await outbox.add({ id: "c1", kind: "case_report", title: "随手拍上报", media: [photo], body: { client_id: "c1" } });
  const [job] = await outbox.jobs();
  assert.equal(job.status, "pending");
  assert.equal(job.owner, 7);
  assert.equal(typeof job.created, "number");
  assert.deepEqual(job.media, [{ cid: "p1", role: "report" }]);  // the photo itself lives in the blobs store
  assert.deepEqual((await db.get("blobs", "p1")).blob, new Uint8Array([1, 2, 3]));
  assert.deepEqual(badges.at(-1), { pending: 1, refused: 0, text: "待上传 1", className: "chip chip-warn" });
  assert.equal(timers.delays.at(-1), 0);  // and the outbox starts sending at once
});

test("the same client id is one record: adding it again replaces it, never queues a copy", async () => {
  const { outbox } = setup();
  await outbox.add(place("c1"));
  await outbox.add(place("c1", "林记小卖部（改）"));
  const jobs = await outbox.jobs();
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].body.name, "林记小卖部（改）");
});

test("records go in the order they were made, and leave the phone once confirmed", async () => {
  const { outbox, calls, seen } = setup();
  await outbox.add(place("c1", "一"));
  await new Promise((r) => setTimeout(r, 2));
  await outbox.add(place("c2", "二"));
  await outbox.run();
  assert.deepEqual(calls.map((c) => c.json.name), ["一", "二"]);
  assert.deepEqual(await outbox.jobs(), []);
  assert.equal(seen.drained, 1);  // the bundle is refreshed once everything is sent
});

test("offline stops the run and keeps the order; the resend carries the same client id", async () => {
  let online = false;
  const { outbox, calls, timers } = setup({ answer: () => (online ? { data: { id: 1 } } : new Offline("网络不可用")) });
  await outbox.add(place("c1", "一"));
  await new Promise((r) => setTimeout(r, 2));
  await outbox.add(place("c2", "二"));
  await outbox.run();
  assert.equal(calls.length, 1);  // the second record waits behind the first
  const jobs = await outbox.jobs();
  assert.deepEqual(jobs.map((j) => [j.id, j.status, j.error]), [["c1", "pending", "网络不可用"], ["c2", "pending", undefined]]);
  assert.equal(timers.delays.at(-1), BACKOFF_START_MS * 2);
  online = true;
  await outbox.run();
  assert.deepEqual(calls.map((c) => c.json.client_id), ["c1", "c1", "c2"]);
  assert.deepEqual(await outbox.jobs(), []);
});

test("the retry delay doubles while offline, stops at a minute, and starts over after a success", async () => {
  let online = false;
  const { outbox, timers, state } = setup({ answer: () => (online ? { data: {} } : new Offline("网络不可用")) });
  await outbox.add(place("c1"));
  const delays = [];
  for (let i = 0; i < 6; i++) { await outbox.run(); delays.push(timers.delays.at(-1)); }
  assert.deepEqual(delays, [8000, 16000, 32000, 60000, 60000, 60000]);
  assert.equal(Math.max(...delays), BACKOFF_MAX_MS);
  assert.equal(outbox.backoff, BACKOFF_MAX_MS);
  online = true;
  await outbox.run();
  assert.equal(outbox.backoff, BACKOFF_START_MS);
});

test("with the login expired the outbox waits for a new sign-in instead of retrying", async () => {
  const { outbox, timers, state } = setup({ answer: () => { state.loginExpired = true; return new Offline("登录已过期"); } });
  await outbox.add(place("c1"));
  const before = timers.delays.length;
  await outbox.run();
  assert.equal(timers.delays.length, before);  // no retry scheduled
  assert.equal((await outbox.jobs())[0].error, "登录已过期");
});

test("a refusal (409) stays visible with the server's reason; the records after it are still sent", async () => {
  const conflict = { code: "edit_conflict", detail: "他人已修改该对象", server: { version: 5, name: "新名" }, fields: ["name"],
    client: { changes: { name: "我的" } } };
  const { outbox, calls, toasts, badges } = setup({ answer: (m, path) => (path.startsWith("/field/places/9")
    ? new Refused(409, conflict) : { data: {} }) });
  await outbox.add({ id: "u1", kind: "place_update", title: "修改 林记", place: 9, body: { request_id: "r1", base_version: 4, changes: { name: "我的" } } });
  await new Promise((r) => setTimeout(r, 2));
  await outbox.add(place("c2"));
  await outbox.run();
  assert.deepEqual(calls.map((c) => [c.method, c.path]), [["PATCH", "/field/places/9"], ["POST", "/field/places"]]);
  const [job] = await outbox.jobs();
  assert.equal(job.status, "refused");
  assert.equal(job.error, "他人已修改该对象");
  assert.equal(job.problem.code, "edit_conflict");
  assert.deepEqual(toasts, ["“修改 林记”被拒绝：他人已修改该对象"]);
  assert.equal(badges.at(-1).text, "待上传 1 · 1 条被拒");
  assert.equal(badges.at(-1).className, "chip chip-bad");
  await outbox.run();  // a refused record is not sent again by itself
  assert.equal(calls.length, 2);

  // 用我的修改覆盖: an explicit decision, sent as a new request on the server's version.
  overwriteWithMine(job, job.problem, "r2");
  assert.deepEqual([job.status, job.error, job.problem, job.result], ["pending", "", null, null]);
  assert.deepEqual(job.body, { request_id: "r2", base_version: 5, changes: { name: "我的" } });
});

test("重试 puts a refused record back in the queue", () => {
  const job = retryJob({ status: "refused", error: "被拒绝" });
  assert.deepEqual(job, { status: "pending", error: "" });
});

test("a confirmed record is not sent again when only its photos failed; photos keep their client ids", async () => {
  let photosUp = false;
  const { outbox, calls } = setup({ answer: (m, path) => {
    if (path === "/cases") return { data: { id: 31 } };
    return photosUp ? { data: { attachment_id: 5 } } : new Offline("网络不可用");
  } });
  await outbox.add({ id: "c1", kind: "case_report", title: "随手拍上报", media: [{ cid: "p1", blob: "x", lon: 1, lat: 2 }],
    body: { client_id: "c1" } });
  await outbox.run();
  const [job] = await outbox.jobs();
  assert.deepEqual(job.result, { id: 31 });
  photosUp = true;
  await outbox.run();
  assert.deepEqual(calls.map((c) => c.path), ["/cases", "/field/photos", "/field/photos"]);
  const uploads = calls.filter((c) => c.path === "/field/photos").map((c) => [c.form.get("client_id"), c.form.get("case_id")]);
  assert.deepEqual(uploads, [["p1", 31], ["p1", 31]]);
  assert.deepEqual(await outbox.jobs(), []);
});

test("a photo lost from the phone is a refusal the worker sees, not an endless retry", async () => {
  const { outbox, db } = setup({ answer: () => ({ data: { id: 31 } }) });
  await outbox.add({ id: "c1", kind: "case_report", title: "随手拍上报", media: [{ cid: "p1", blob: "x" }], body: {} });
  await db.del("blobs", "p1");
  await outbox.run();
  const [job] = await outbox.jobs();
  assert.equal(job.status, "refused");
  assert.equal(job.error, "本机照片已丢失，无法上传");
});

test("a visit's photos go to the case made for their checklist item", async () => {
  const { outbox, calls } = setup({ answer: (m, path) => (path === "/field/visits"
    ? { data: { cases: [{ item_code: "A1", case_id: 40 }] } } : { data: { id: 1 } }) });
  await outbox.add({ id: "v1", kind: "visit", title: "检查", media: [{ cid: "p1", blob: "x", item: "A1", place_id: 3 }],
    body: { client_id: "v1", place_id: 3 } });
  await outbox.run();
  const upload = calls.find((c) => c.path === "/field/photos");
  assert.equal(upload.form.get("case_id"), 40);
  assert.equal(upload.form.get("place_id"), 3);
});

test("a comment retries once on a stale version; a decision on stale data is refused", async () => {
  const reads = [3, 4];  // someone moves the case between the comment's read and its post
  let current = 4;
  const { outbox, calls } = setup({ answer: (m, path, opts) => {
    if (m === "GET") return { data: { version: reads.shift() ?? current } };
    if (opts.json.version !== current) return new Refused(409, { code: "stale_version", detail: "已被他人处理" });
    return { data: {} };
  } });
  await outbox.add({ id: "a1", kind: "case_add", title: "补充", media: [], body: { case_id: 8, comment: "补充" } });
  await outbox.run();
  assert.deepEqual(await outbox.jobs(), []);
  const posts = calls.filter((c) => c.method === "POST");
  assert.deepEqual(posts.map((c) => [c.json.version, c.json.request_id]), [[3, "a1"], [4, "a1"]]);

  // 复查 carries the version the worker decided on: no silent retry on a newer one
  await outbox.add({ id: "d1", kind: "verify", title: "复查", media: [], body: { case_id: 8, action: "verify_pass", version: 3, comment: "" } });
  await outbox.run();
  const [job] = await outbox.jobs();
  assert.equal(job.status, "refused");
  assert.equal(job.error, "已被他人处理");
  assert.equal(calls.filter((c) => c.method === "POST" && c.json.request_id === "d1").length, 1);
});

test("a 核实补充 sends its photos to the case, then the answer with their ids as the case's supply_info", async () => {
  const { outbox, calls } = setup({ answer: (m, path) => (m === "GET" ? { data: { version: 5 } }
    : path === "/field/photos" ? { data: { id: 77 } } : { data: {} }) });
  await outbox.add({ id: "s1", kind: "supply_info", title: "核实补充 #8", media: [{ cid: "p1", blob: "x", role: "before" }],
    body: { case_id: 8, answer: "已到现场核实" } });
  await outbox.run();
  assert.deepEqual(await outbox.jobs(), []);
  const upload = calls.find((c) => c.path === "/field/photos");
  assert.deepEqual([upload.form.get("case_id"), upload.form.get("role")], [8, "before"]);
  const post = calls.find((c) => c.path === "/cases/8/actions/supply_info");
  assert.deepEqual(post.json, { version: 5, request_id: "s1", attachment_ids: [77], answer: "已到现场核实" });
});

test("another account's record is never sent under this session", async () => {
  const { outbox, calls, db } = setup();
  await db.put("jobs", { ...place("c9"), created: 1, status: "pending", owner: 8, media: [] });
  await outbox.run();
  assert.equal(calls.length, 0);
  assert.equal((await outbox.jobs())[0].error, "这条记录属于另一个账号，请用该账号登录后上传");
});

test("with no account confirmed yet, the outbox asks the server whose session it is first", async () => {
  const { outbox, calls, seen } = setup({ user: null, answer: (m, path) => (path === "/field/week"
    ? { data: { worker: { id: 7 } } } : { data: {} }) });
  await outbox.run();
  assert.deepEqual(calls[0], { method: "GET", path: "/field/week", poll: true });
  assert.deepEqual(seen.noted, [7]);
});

test("the badge shows what is waiting and what was refused", () => {
  assert.deepEqual(badgeInfo([]), { pending: 0, refused: 0, text: "待上传 0", className: "chip" });
  assert.equal(badgeInfo([{ status: "pending" }, { status: "refused" }]).text, "待上传 2 · 1 条被拒");
  assert.equal(NEXT_JOB_MS, 1000);
});
