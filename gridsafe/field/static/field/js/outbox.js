/* The outbox (domain.md §8): every record gets a client UUID when work starts and goes into the account's IndexedDB
   first. The outbox sends records in the order they were made, then each photo separately; a broken upload is
   retried with the same photo client id, which the server answers once. A job leaves the phone only when the
   server confirmed the record AND all its photos. Refusals (409/422) stay visible with the server's reason; being
   offline (or the server down) stops the run and keeps the order, retried with a doubling delay up to a minute.

   No DOM and no IndexedDB here: the store, request(), the timers and what to do with the badge are passed in, so
   node can test the rules. */

import { Refused } from "./sync.js";

export function uuid() {
  // A client id is made when work starts, so a resend after a lost answer is recognised by the server (domain.md §8).
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const BACKOFF_START_MS = 4000;
export const BACKOFF_MAX_MS = 60000;
export const NEXT_JOB_MS = 1000;

export const nextBackoff = (ms) => Math.min(ms * 2, BACKOFF_MAX_MS);

export function ordered(jobs) { return [...jobs].sort((a, b) => a.created - b.created); }

export function belongsTo(job, user) {
  // Rows made before per-account databases carry no owner: whoever's database holds them owns them.
  return job.owner === undefined || job.owner === null || job.owner === user;
}

export function badgeInfo(jobs) {
  const refused = jobs.filter((j) => j.status === "refused").length;
  return {
    pending: jobs.length,
    refused,
    text: refused ? `待上传 ${jobs.length} · ${refused} 条被拒` : `待上传 ${jobs.length}`,
    className: "chip" + (refused ? " chip-bad" : jobs.length ? " chip-warn" : ""),
  };
}

const short = (text, n = 24) => { const t = (text || "").replace(/\s+/g, " ").trim(); return t.length > n ? t.slice(0, n) + "…" : t; };

export function jobLabel(job, categories = []) {
  /* What the outbox calls a record: a report by its category and description (a worker may have several waiting),
     a note or a 复查 by the case it is for; other records by the title they were saved with. */
  const b = job.body || {};
  if (job.kind === "case_report") {
    // The name kept with the record when it was saved, for a list drawn before the categories are loaded; never
    // the category's code.
    const cat = categories.find((c) => c.code === b.category);
    return `随手拍：${cat ? cat.name : job.category_name || "隐患"} · ${short(b.description)}`;
  }
  if (job.kind === "case_add") return `补充隐患 #${b.case_id}：${short((b.comment || "").replace(/^【[^】]*】/, ""))}`;
  if (job.kind === "verify") return `复查 #${b.case_id}：${b.action === "verify_pass" ? "核查通过" : "核查不通过"}`;
  return job.title || job.kind;
}

export function canRetry(job) {
  // 重试 is offered for any record that did not go: refused (after the worker fixed it) or stopped by the network.
  return job.status === "refused" || !!job.error;
}

export function retryJob(job) {
  // 重试 of a refused record: the worker fixed what the server refused (or wants to try again).
  job.status = "pending"; job.error = "";
  return job;
}

export function overwriteWithMine(job, problem, newId) {
  // 用我的修改覆盖 after an edit conflict (409): an explicit decision to rebase my edit on the server's version and
  // send it again, as a new request (a new request id, so it is not answered as the repeat of the refused one).
  job.body.base_version = problem.server.version; job.body.request_id = newId;
  job.status = "pending"; job.error = ""; job.problem = null; job.result = null;
  return job;
}

export function createOutbox({ db, request, state, noteUser, toast = () => {}, onBadge = () => {}, onDrained = async () => {},
  label = (job) => job.title, FormData = globalThis.FormData, setTimeout = globalThis.setTimeout, clearTimeout = globalThis.clearTimeout }) {
  return {
    running: false,
    retryTimer: null,
    backoff: BACKOFF_START_MS,
    sentSomething: false,

    async add(job) {
      const media = job.media || [];
      for (const m of media) { await db.put("blobs", { id: m.cid, blob: m.blob }); delete m.blob; }
      job.media = media;
      job.created = Date.now();
      job.status = "pending";
      job.owner = state.user;  // the database is the account's own; kept on the row as well for the outbox check
      await db.put("jobs", job);
      await this.badge();
      this.kick();
    },

    async jobs() { return ordered(await db.all("jobs")); },

    async badge() {
      const jobs = await this.jobs();
      onBadge(badgeInfo(jobs));
      return jobs;
    },

    kick(delay = 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.run(), delay);
    },

    async run() {
      if (this.running) return;
      this.running = true;
      let stopped = false;
      try {
        if (state.user === null) {
          try {
            await noteUser((await request("GET", "/field/week", { poll: true })).data.worker.id);  // whose session?
          } catch (e) {
            stopped = true;
            return;
          }
        }
        for (const job of await this.jobs()) {
          if (job.status === "refused") continue;
          if (!belongsTo(job, state.user)) {
            job.error = "这条记录属于另一个账号，请用该账号登录后上传";
            await db.put("jobs", job);
            continue;
          }
          try {
            await this.send(job);
            await this.finish(job);
            this.backoff = BACKOFF_START_MS;
          } catch (e) {
            if (e instanceof Refused) {
              job.status = "refused";
              job.error = e.message;
              job.problem = e.body;
              await db.put("jobs", job);
              toast(`“${label(job)}”被拒绝：${e.message}`);
            } else {
              job.error = e.message;
              await db.put("jobs", job);
              stopped = true;
              break;  // offline or server down: keep the order, try again later
            }
          }
        }
      } finally {
        this.running = false;
        const jobs = await this.badge();
        if (stopped) {
          this.backoff = nextBackoff(this.backoff);
          if (!state.loginExpired) this.kick(this.backoff);
        } else if (jobs.some((j) => j.status !== "refused" && (j.owner == null || j.owner === state.user))) {
          this.kick(NEXT_JOB_MS);
        } else if (this.sentSomething) {
          this.sentSomething = false;
          await onDrained();
        }
      }
    },

    async finish(job) {
      // Only now, with the record and every photo confirmed, does anything leave the phone.
      for (const m of job.media) await db.del("blobs", m.cid);
      await db.del("jobs", job.id);
      this.sentSomething = true;
    },

    async upload(job, m, target) {
      const stored = await db.get("blobs", m.cid);
      if (!stored) throw new Refused(410, { detail: "本机照片已丢失，无法上传" });
      const form = new FormData();
      form.append("file", stored.blob, `${m.cid}.jpg`);
      form.append("client_id", m.cid);
      const fields = { role: m.role || "report", captured_at: m.captured_at, lon: m.lon, lat: m.lat,
        accuracy_m: m.accuracy_m, capture_method: m.capture_method, device_time: m.device_time,
        place_id: m.place_id, original_sha256: m.original_sha256, ...target.fields };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== "") form.append(k, v);
      const { data } = await request("POST", target.path, { form });
      m.done = true;
      m.attachment_id = data.attachment_id || data.id;
      await db.put("jobs", job);
    },

    async sendMedia(job, targetFor) {
      for (const m of job.media) {
        if (m.done) continue;
        const target = targetFor(m);
        if (!target) throw new Refused(422, { detail: "找不到照片所属的记录" });
        await this.upload(job, m, target);
      }
    },

    async record(job, method, path, json) {
      // A record the server confirmed is not sent again when only its photos are left to send.
      if (job.result) return job.result;
      const { data } = await request(method, path, { json });
      job.result = data;
      job.error = "";
      await db.put("jobs", job);
      return data;
    },

    async send(job) {
      const b = job.body;
      switch (job.kind) {
        case "case_report": {
          const c = await this.record(job, "POST", "/cases", b);
          await this.sendMedia(job, () => ({ path: "/field/photos", fields: { case_id: c.id } }));
          return;
        }
        case "case_add": {
          await this.sendMedia(job, () => ({ path: "/field/photos", fields: { case_id: b.case_id } }));
          await this.caseAction(job, b.case_id, "comment", { comment: b.comment });
          return;
        }
        case "supply_info": {  // 核实补充: the answer to a desk's 退回核实, with its photos
          await this.sendMedia(job, () => ({ path: "/field/photos", fields: { case_id: b.case_id } }));
          await this.caseAction(job, b.case_id, "supply_info", { answer: b.answer });
          return;
        }
        case "verify": {
          await this.sendMedia(job, () => ({ path: "/field/photos", fields: { case_id: b.case_id } }));
          const fields = b.action === "verify_pass"
            ? { comment: b.comment, lon: b.lon, lat: b.lat } : { reason: b.comment };
          await this.caseAction(job, b.case_id, b.action, fields, b.version);
          return;
        }
        case "patrol_start": await this.record(job, "POST", "/field/patrols", b); return;
        case "patrol_track": await this.record(job, "POST", `/field/patrols/${job.patrol}/track`, b); return;
        case "patrol_end": await this.record(job, "POST", `/field/patrols/${job.patrol}/end`, b); return;
        case "visit": {
          const v = await this.record(job, "POST", "/field/visits", b);
          const byItem = Object.fromEntries((v.cases || []).map((c) => [c.item_code, c.case_id]));
          await this.sendMedia(job, (m) => byItem[m.item] && ({ path: "/field/photos",
            fields: { case_id: byItem[m.item], place_id: b.place_id } }));
          return;
        }
        case "place_create": await this.record(job, "POST", "/field/places", b); return;
        case "place_update": await this.record(job, "PATCH", `/field/places/${job.place}`, b); return;
        case "publicity": {
          const a = await this.record(job, "POST", "/field/publicity", b);
          await this.sendMedia(job, () => ({ path: `/field/publicity/${a.client_id}/photos`, fields: {} }));
          return;
        }
        default: throw new Refused(400, { detail: `未知的记录类型 ${job.kind}` });
      }
    },

    async caseAction(job, caseId, action, fields, version) {
      /* Actions carry the version the worker saw (a decision on stale data is a 409 to show) and one request
         id per tap, so a retry after a lost answer is answered as a repeat. A comment needs no decision, so it
         takes the current version, and retries once when someone moved the case in between. */
      const attachment_ids = job.media.filter((m) => m.attachment_id).map((m) => m.attachment_id);
      for (let attempt = 0; attempt < 2; attempt++) {
        let v = version;
        if (v === undefined) v = (await request("GET", `/cases/${caseId}`)).data.version;
        try {
          const { data } = await request("POST", `/cases/${caseId}/actions/${action}`,
            { json: { version: v, request_id: job.id, attachment_ids, ...fields } });
          return data;
        } catch (e) {
          if (!(e instanceof Refused) || version !== undefined || e.body.code !== "stale_version" || attempt) throw e;
        }
      }
      return null;
    },
  };
}
