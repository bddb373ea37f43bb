/* Sync with the server: what an API answer means (request), and the offline bundle and 本周.

   An answer: a network error, 5xx, 408 or 429 is Offline (try again later, in order); 401 or a redirect to the
   login page is Offline too, after telling the page the login expired (records stay on the phone); any other
   refusal (409, 422, 404...) is Refused, with the server's reason kept.

   The bundle (GET /field/sync: grids, places, checklists, categories, open cases, tasks) and 本周 (GET /field/week):
   a fresh answer replaces what the phone keeps and tells whose session it is; without one the page uses what it
   kept (IndexedDB first, then the service worker's cache of this account). A refusal is shown; being offline or a
   lost login is not an error here.

   No DOM: fetch, the store, the cache reader and the account switch are passed in, so node can test it. */

export class Offline extends Error {}
export class Refused extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `服务器拒绝（${status}）`);
    this.status = status; this.body = body || {};
  }
}

export function csrfFrom(cookie) {
  const m = (cookie || "").match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export function createRequest({ api, fetch, getUser, csrf, onLoginExpired }) {
  return async function request(method, path, { json, form, poll } = {}) {
    const headers = { Accept: "application/json" };
    // The service worker keeps GET answers per account (sw.js); a background refresh is not activity (the session
    // idle limit, core.middleware).
    const user = getUser();
    if (user !== null) headers["X-GridSafe-Owner"] = String(user);
    if (poll) headers["X-GridSafe-Poll"] = "1";
    let body;
    if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
    if (form) body = form;
    if (method !== "GET") headers["X-CSRFToken"] = csrf();
    let response;
    try {
      response = await fetch(api + path, { method, headers, body, credentials: "same-origin" });
    } catch (e) {
      throw new Offline("网络不可用");
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) { try { data = await response.json(); } catch (e) { data = null; } }
    if (response.status === 401 || (response.redirected && response.url.includes("/login"))) {
      onLoginExpired();
      throw new Offline("登录已过期");
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw new Offline((data && data.detail) || `服务器暂时不可用（${response.status}）`);
    }
    if (!response.ok) throw new Refused(response.status, data);
    return { status: response.status, data };
  };
}

export function createSync({ state, db, request, cachedJSON, noteUser, toast = () => {}, onBundle = () => {} }) {
  return {
    async refreshWeek() {
      /* 本周 from the server; also how the page learns whose session it is, before it opens anything kept. */
      const { data } = await request("GET", "/field/week");
      await noteUser(data.worker.id);
      state.week = data;
      await db.kv("week", data);
      return data;
    },

    async loadBundle({ poll = false } = {}) {
      try {
        const { data } = await request("GET", "/field/sync", { poll });
        await noteUser(data.worker.id);
        state.bundle = data;
        await db.kv("bundle", data);
        onBundle(data.version);
      } catch (e) {
        if (!state.bundle) state.bundle = (await db.kv("bundle")) || (await cachedJSON("/field/sync"));
        if (state.bundle) onBundle(state.bundle.version || "cached");
        if (e instanceof Refused) toast(e.message);
      }
      return state.bundle;
    },
  };
}

export function myGrids(bundle) { return (bundle && bundle.grids) || []; }
export function placesOf(bundle) { return (bundle && bundle.places) || []; }

export function placeById(bundle, id) {
  // A place made on this phone and not yet uploaded is known by its client id until the next bundle.
  return placesOf(bundle).find((p) => p.id === id || (p.client_id && p.client_id === id));
}

export function checklistFor(bundle, place) {
  // The checklist of the place's domain and kind, else the domain's general one.
  const lists = (bundle && bundle.checklists) || [];
  const own = lists.find((c) => c.domain === place.domain && c.place_kind === place.kind);
  return own || lists.find((c) => c.domain === place.domain && c.place_kind === "") || null;
}

export function mergeNearby(fromServer, cached) {
  // The server's answer first; the bundle's cached open cases add only what the server did not name.
  const seen = new Set(fromServer.map((c) => c.id));
  return [...fromServer, ...cached.filter((c) => !seen.has(c.id))];
}

export function pendingVerifications(bundle, jobs) {
  // A 复查 already decided on this phone and waiting in the outbox is not offered again.
  const pending = new Set(jobs.filter((j) => j.kind === "verify").map((j) => j.body.case_id));
  return { pending, tasks: ((bundle && bundle.verification_tasks) || []).filter((t) => !pending.has(t.id)) };
}
