/* 我的上报: the worker's own reports, open and closed, and what happened to each (GET /field/reports,
   /field/reports/<id>). Pure functions — what a report's tag says, which timeline lines stand out, the paths — so
   node can test them; the screen is in forms.js. The wording of states and events comes from the server
   (status_text, kind_label), the one vocabulary of every page. */

export const REPORT_FILTERS = [["all", "全部"], ["open", "未结案"], ["closed", "已结案"]];
export const REPORT_PAGE = 20;

export function reportsPath(status = "all", offset = 0) {
  const s = REPORT_FILTERS.some(([key]) => key === status) ? status : "all";
  return `/field/reports?status=${s}&limit=${REPORT_PAGE}&offset=${Math.max(0, offset | 0)}`;
}

export function reportTag(r) {
  /* The tag on a report: closed says how (closed never means fixed: only 已整改销号 is green); open says how its
     clock stands. */
  if (!r.is_open) return { text: r.status_text, cls: r.closure === "resolved" ? "green" : "grey" };
  const cls = r.light === "red" ? "red" : r.light === "yellow" ? "orange" : "blue";
  return { text: r.status_text, cls };
}

// Lines the worker must not miss: someone sent it back, asked something, pressed for it, or decided it.
const STANDOUT = new Set(["case.returned", "case.info_requested", "case.supervised", "case.urged", "case.rework",
  "case.commented", "case.voided", "case.merged", "case.transferred", "case.verified", "case.corrected",
  "case.reopened"]);

export function timelineRows(timeline) {
  return (timeline || []).map((e) => ({
    when: e.created_at,
    title: e.kind_label,
    who: e.actor_label,
    text: [e.comment, e.detail].filter(Boolean).join(" · "),
    state: e.state_text,
    standout: STANDOUT.has(e.kind),
  }));
}

export function lastStep(r) {
  // One line under a report in the list: its latest step and who took it.
  const e = r.last_event;
  if (!e) return "";
  return `${e.kind_label}${e.comment ? "：" + e.comment : ""} · ${e.actor_label}`;
}
