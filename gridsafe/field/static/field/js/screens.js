/* The screens of the field app, one function per hash route (router.js): here 本周 (the first screen) and what
   every screen uses; the others are in forms.js, loaded after the first screen is drawn. Each draws from the bundle
   and 本周 kept on the phone and puts what the worker records into the outbox; nothing here talks to IndexedDB or the
   network except through ../app.js. */

// screens.js and ../app.js import each other (the wiring needs the screens, the screens need the wiring): nothing here
// uses app.js at the top level, only inside functions, so the cycle is safe.
import { fixSummary } from "./gps.js";
import { Refused } from "./sync.js";
import { state, DB, sync, cachedJSON, route, stillCurrent } from "../app.js";

// ------------------------------------------------------------------------------------------------ DOM helpers
/* Text goes in with textContent only (no innerHTML), and handlers with addEventListener (the CSP allows no inline
   handlers). */

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text; el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

export function banner(node) {
  const el = document.getElementById("banner");
  el.replaceChildren();
  if (node) { el.append(node); el.hidden = false; } else { el.hidden = true; }
}

export const app = () => document.getElementById("app");

export function mount(...nodes) { app().replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false)); }

export function fixText(f, limit) {
  const { bad, text } = fixSummary(f, limit);
  return h("span", { class: bad ? "gps bad" : "gps" }, text);
}

export function showBadge({ text, className, pending, refused }) {
  const chip = document.getElementById("outbox-chip");
  chip.textContent = text;
  chip.className = className;
  document.body.dataset.pending = String(pending);
  document.body.dataset.refused = String(refused);
}

export function setNet(on) {
  const net = document.getElementById("net");
  net.textContent = on ? "在线" : "离线";
  net.className = "chip " + (on ? "chip-ok" : "chip-off");
}

// ------------------------------------------------------------------------------------------------ labels

export const pad = (n) => String(n).padStart(2, "0");

export function fmt(iso, withTime = true) {
  if (!iso) return "";
  const d = new Date(iso);
  const day = `${d.getMonth() + 1}月${d.getDate()}日`;
  return withTime ? `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}` : day;
}

export function localDateTime(d) {
  // The value of an <input type="datetime-local"> for the phone's own clock.
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function maskPhone(phone) {
  // As the server shows it (personal data, domain.md §10): a new place's number is masked on the phone at once.
  return phone.replace(/^(\d{3})\d+(\d{4})$/, "$1****$2");
}

export const RISK = { red: ["红", "red"], orange: ["橙", "orange"], yellow: ["黄", "yellow"], blue: ["蓝", "blue"] };
export const DUE = { overdue: ["已超期", "red"], due: ["本周到期", "orange"], upcoming: ["未到期", "green"], inactive: ["停用", "grey"] };
export const KINDS = {
  lpg_point: "液化气点", rental_housing: "出租房", fireworks_seller: "烟花爆竹经营点", entertainment_venue: "文化娱乐场所",
  elevator: "电梯", crowded_place: "人员密集场所/三合一", road_section: "道路", other: "其他",
};
export const KIND_DOMAIN = {
  lpg_point: "lpg", rental_housing: "rental", fireworks_seller: "fireworks", entertainment_venue: "venue",
  elevator: "elevator", crowded_place: "fire", road_section: "road", other: "fire",
};
export const STATES = { pending_review: "待研判", dispatched: "已派遣", handling: "处置中", suspended: "挂账",
  pending_verification: "待核查", closed: "已结案" };
export const stateLabel = (c) => STATES[c.state] || c.state_label;

// ------------------------------------------------------------------------------------------------ lists

function caseLine(c) {
  return h("li", {}, h("div", { class: "row" },
    h("div", { class: "grow" }, h("b", {}, c.category_name), " ", h("span", { class: "muted" }, `#${c.id}`),
      h("div", { class: "muted" }, c.description)),
    h("span", { class: `tag ${c.light === "red" ? "red" : c.light === "yellow" ? "orange" : "blue"}` }, stateLabel(c))));
}

export function placeLine(p, extra) {
  const [riskText, riskClass] = RISK[p.risk_level] || ["", "grey"];
  const [dueText, dueClass] = DUE[p.due_state] || ["", "grey"];
  return h("li", {}, h("div", { class: "row" },
    h("div", { class: "grow" }, h("b", {}, p.name), h("div", { class: "muted" },
      `${KINDS[p.kind] || p.kind_label || ""} · ${p.grid_name || ""}${p.next_due_at ? " · 应检 " + fmt(p.next_due_at, false) : ""}`)),
    h("span", { class: `tag ${riskClass}` }, riskText), h("span", { class: `tag ${dueClass}` }, dueText), extra || null));
}

// 本周 ------------------------------------------------------------------------------------------------

async function screenWeek() {
  const render = (w, stale) => {
    if (route() !== "week") return;
    if (!w) { mount(h("p", { class: "muted center" }, "离线且没有缓存的数据。联网后打开一次即可离线使用。")); return; }
    const undone = w.grids.filter((g) => !g.patrolled);
    mount(
      h("p", { class: "muted" }, `${w.worker.name}，本周 ${fmt(w.week_start, false)}–${fmt(new Date(new Date(w.week_end) - 1), false)}${stale ? " · 离线数据" : ""}`),
      h("div", { class: "stats" },
        h("div", { class: "stat " + (undone.length ? "bad" : "ok") }, h("b", {}, `${w.grids.length - undone.length}/${w.grids.length}`), h("span", {}, "网格已巡查")),
        h("div", { class: "stat " + (w.places_overdue.length ? "bad" : "ok") }, h("b", {}, w.places_overdue.length), h("span", {}, "对象超期")),
        h("div", { class: "stat " + (w.verification_tasks.length ? "warn" : "ok") }, h("b", {}, w.verification_tasks.length), h("span", {}, "待复查"))),
      h("h2", {}, "本周巡查"),
      h("div", { class: "card" }, h("ul", { class: "list" }, w.grids.map((g) => h("li", {}, h("div", { class: "row" },
        h("div", { class: "grow" }, h("b", {}, g.name), h("div", { class: "muted" }, `${g.village} · ${g.code}`)),
        g.patrolled ? h("span", { class: "tag green" }, g.nothing_found ? "已巡查无隐患" : `已巡查 ${g.patrols} 次`)
          : h("span", { class: "tag red" }, g.short_patrols ? `巡查未达标 ${g.short_patrols} 次` : "本周未巡查")))))),
      w.active_patrol ? h("a", { class: "btn primary block", href: "#patrol" }, "继续当前巡查") :
        undone.length ? h("a", { class: "btn primary block", href: "#patrol" }, "开始巡查") : null,
      h("h2", {}, `超期与本周到期的监管对象（${w.places_overdue.length + w.places_due.length}）`),
      w.places_overdue.length + w.places_due.length
        ? h("div", { class: "card" }, h("ul", { class: "list" }, [...w.places_overdue, ...w.places_due].slice(0, 15).map((p) => placeLine(p))))
        : h("p", { class: "muted" }, "本周没有到期的监管对象。"),
      h("div", { class: "row" }, h("h2", { class: "grow" }, `我上报的未结隐患（${w.my_open_count}）`),
        h("a", { class: "btn small", href: "#mine", id: "week-mine" }, "全部我的上报")),
      w.my_open_reports.length ? h("div", { class: "card" }, h("ul", { class: "list" }, w.my_open_reports.map(caseLine)))
        : h("p", { class: "muted" }, "没有未结的上报。"),
      h("h2", {}, `审核意见（${w.messages.length}）`),
      w.messages.length ? h("div", { class: "card" }, h("ul", { class: "list" }, w.messages.slice(0, 10).map((m) => h("li", {},
        h("div", { class: "row" }, h("span", { class: "tag orange" }, m.kind_label), h("b", { class: "grow" }, `${m.case.category_name} #${m.case.id}`)),
        h("div", {}, m.comment || m.reason_label), h("div", { class: "muted" }, `${m.actor_label} · ${fmt(m.created_at)}`)))))
        : h("p", { class: "muted" }, "暂无审核意见。"),
    );
    if (!document.getElementById("app").dataset.ready) {
      document.getElementById("app").dataset.ready = "1";
      if (performance.mark) performance.mark("field-first-screen");  // read by bench/field_first_screen
    }
  };
  const cached = state.week || (await DB.kv("week")) || (await cachedJSON("/field/week"));
  if (cached) render(cached, true);
  try {
    render(await sync.refreshWeek(), false);
  } catch (e) {
    if (!cached) render(null);
    if (e instanceof Refused) toast(e.message);
  }
}


// ------------------------------------------------------------------------------------------------ the others

// The other screens (forms.js) are not needed for the first one: on a slow link they would share its bandwidth.
// app.js asks for them once the first screen is drawn, and the service worker precaches them for offline use.
let forms = null;
export const loadForms = () => (forms ||= import("./forms.js"));

const later = (name) => () => {
  const current = stillCurrent();
  return loadForms().then((m) => { if (current()) return m.FORMS[name](); });
};

export const SCREENS = { week: screenWeek, patrol: later("patrol"), snap: later("snap"), verify: later("verify"),
  returned: later("returned"), places: later("places"), publicity: later("publicity"), outbox: later("outbox"),
  account: later("account"), mine: later("mine") };
