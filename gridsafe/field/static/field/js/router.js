/* Screens are hash routes (#week, #patrol/12, #places/new): the part before "/" names the screen, the rest is its
   argument. Pure functions, so node can test them. */

export const DEFAULT_ROUTE = "week";
export const TITLES = { week: "本周", patrol: "巡查", snap: "随手拍", verify: "复查", returned: "退回", places: "监管对象",
  publicity: "宣传", outbox: "待上传", account: "我的", mine: "我的上报" };

// Screens that only show what the server or the outbox holds: redrawn when the outbox has emptied (a form being
// filled in never is). A screen that is only waiting for an upload says so with data-waiting on its message.
export const REDRAWN_AFTER_UPLOAD = ["week", "outbox", "mine"];

export function redrawAfterUpload(name, waiting) { return REDRAWN_AFTER_UPLOAD.includes(name) || !!waiting; }

export function routeOf(hash) { return (hash || "#week").slice(1).split("/")[0] || DEFAULT_ROUTE; }

export function argOf(hash) { return (hash || "").split("/")[1]; }

export function titleOf(name) { return TITLES[name] || "网格员"; }

export function screenFor(screens, name) {
  // An unknown route shows 本周 (an old bookmark, a mistyped link), under the neutral title.
  return screens[name] || screens[DEFAULT_ROUTE];
}

export function createDraws() {
  /* Each draw of a screen gets a number: a screen that awaited something (IndexedDB, the network) checks it is still
     the latest draw before it mounts, so a slow draw never covers the screen the worker has since opened. */
  let number = 0;
  return {
    next() { number += 1; return number; },
    stillCurrent() { const mine = number; return () => mine === number; },
  };
}
