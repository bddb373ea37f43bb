/* The offline bundle (GET /field/sync: grids, places, checklists, categories, open cases, tasks) and 本周
   (GET /field/week). A fresh answer replaces what the phone keeps and tells whose session it is; without one the
   page uses what it kept (IndexedDB first, then the service worker's cache of this account). A refusal is shown;
   being offline or a lost login is not an error here (net.js tells the page about the login).

   No DOM: the store, request(), the cache reader and the account switch are passed in, so node can test it. */

import { Refused } from "./net.js";

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
