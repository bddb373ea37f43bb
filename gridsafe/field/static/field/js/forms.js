/* The field app's screens other than 本周 (screens.js): 巡查 and 检查, 随手拍, 复查, 退回, 监管对象, 宣传, 待上传 and
   我的. Loaded after the first screen is drawn; they draw from the bundle kept on the phone and put what the worker
   records into the outbox, through ../app.js. */

import { h, toast, mount, fixText, fmt, localDateTime, maskPhone, KINDS, KIND_DOMAIN, stateLabel, placeLine } from "./screens.js";
import { VISIT_FIX_MS, recentFix, nearbyCases, patrolRule, patrolProgress } from "./gps.js";
import { mergeNearby, pendingVerifications } from "./sync.js";
import { argOf } from "./router.js";
import { overwriteWithMine, retryJob, jobLabel, canRetry, uuid } from "./outbox.js";
import { REPORT_FILTERS, reportsPath, reportTag, timelineRows, lastStep } from "./reports.js";
import {
  state, DB, request, Outbox, ownedUrl, myGrids, places, placeById, checklistFor, poorLimit, fix, savePatrol,
  patrolStart, patrolEnd, rerender, stillCurrent, signOut, CFG, categoryList, cachedJSON,
} from "../app.js";

const PHOTO_MAX_SIDE = 1600;
const PHOTO_QUALITY = 0.85;

// ------------------------------------------------------------------------------------------------ photos

async function prepPhoto(file, method) {
  /* Downscale on the phone (canvas, JPEG) before it is stored or sent; hash the original bytes first. */
  let sha = "";
  try {
    if (crypto.subtle) {
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      sha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    }
  } catch (e) { sha = ""; }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (e) {
    bitmap = await new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error("无法读取这张照片"));
      img.src = URL.createObjectURL(file);
    });
  }
  const w = bitmap.width, hgt = bitmap.height;
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(w, hgt));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(w * scale); canvas.height = Math.round(hgt * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY));
  return { cid: uuid(), blob, original_sha256: sha, capture_method: method, device_time: new Date().toISOString(),
    width: canvas.width, height: canvas.height };
}

function photoPicker(list, onChange, { label = "拍照", capture = true, shownFix = null } = {}) {
  const thumbs = h("div", { class: "thumbs" });
  const gps = h("div", { class: "gps" }, shownFix ? fixText(shownFix, poorLimit()) : null);
  const redraw = () => {
    thumbs.replaceChildren(...list.map((p) => h("img", { src: URL.createObjectURL(p.blob), alt: "照片" })));
  };
  const input = h("input", { type: "file", accept: "image/*", multiple: true, capture: capture ? "environment" : null,
    on: { change: async () => {
      const files = [...input.files];
      input.value = "";
      const f = await fix();  // GPS at capture time, from the phone, never from EXIF
      for (const file of files) {
        try {
          const p = await prepPhoto(file, capture ? "camera" : "gallery");
          Object.assign(p, { lon: f && f.lon, lat: f && f.lat, accuracy_m: f && f.accuracy_m, captured_at: new Date().toISOString() });
          list.push(p);
        } catch (e) { toast(e.message); }
      }
      gps.replaceChildren(fixText(f, poorLimit()));
      redraw();
      if (onChange) onChange(f);
    } } });
  redraw();
  return h("div", {}, h("span", { class: "btn file-btn" }, label, input), thumbs, gps);
}


// 巡查 ------------------------------------------------------------------------------------------------

function screenPatrol() {
  const p = state.patrol;
  const sub = argOf(location.hash);
  if (p && sub) return screenVisit(Number(sub) || sub);
  if (!p) {
    const grids = myGrids();
    const select = h("select", { id: "patrol-grid" }, grids.map((g) => h("option", { value: g.code }, `${g.name}（${g.code}）`)));
    const days = state.bundle ? state.bundle.settings.track_retention_days : 90;
    mount(
      h("div", { class: "card" },
        h("h3", {}, "开始本周网格巡查"),
        h("label", { for: "patrol-grid" }, "巡查网格"), select,
        h("p", { class: "muted", id: "patrol-rule" }, `本县规定：在网格内巡查满 ${patrolRule(state.bundle).minutes} 分钟、行走 ${patrolRule(state.bundle).metres} 米以上，才计入本周巡查覆盖。`),
        h("p", { class: "muted" }, `巡查期间会记录您的位置轨迹，用于统计巡查覆盖。轨迹属于个人敏感信息，仅您本人、村网格站站长和镇网格化中心可以查看，保存 ${days} 天后自动删除。巡查结束后不再记录位置。`),
        h("button", { class: "btn primary block", id: "patrol-start", type: "button", disabled: !grids.length,
          on: { click: async () => { await patrolStart(select.value); rerender(); } } }, "开始巡查")),
      grids.length ? null : h("p", { class: "err" }, "没有可巡查的网格（同步数据尚未下载或您未被分配网格）。"));
    return;
  }
  const grid = myGrids().find((g) => g.code === p.grid_code);
  const list = places().filter((pl) => pl.grid_code === p.grid_code && pl.is_active);
  const order = { overdue: 0, due: 1, upcoming: 2 };
  list.sort((a, b) => (order[a.due_state] ?? 3) - (order[b.due_state] ?? 3) || a.name.localeCompare(b.name, "zh"));
  const nothing = h("input", { type: "checkbox", id: "nothing-found", class: "check", checked: p.hazards === 0 });
  const note = h("textarea", { id: "patrol-note", placeholder: "巡查情况（可选）" });
  mount(
    h("div", { class: "card ok" }, h("h3", {}, `巡查中：${grid ? grid.name : p.grid_code}`),
      h("div", { class: "muted" }, `开始于 ${fmt(p.started_at)} · 已检查 ${p.visits} 处 · 发现隐患 ${p.hazards} 处`),
      h("div", { class: "muted", id: "patrol-points" }, `已记录轨迹点 ${p.seq} 个`),
      h("div", { class: "muted", id: "patrol-progress" }, patrolProgress(p, Date.now(), patrolRule(state.bundle)).text)),
    h("h2", {}, "监管对象打卡检查"),
    list.length ? h("div", { class: "card" }, h("ul", { class: "list" }, list.map((pl) => placeLine(pl, pl.id
      ? h("a", { class: "btn small primary", href: `#patrol/${pl.id}`, dataset: { place: pl.id } }, "检查")
      : h("span", { class: "tag grey" }, "待上传")))))
      : h("p", { class: "muted" }, "本网格没有登记的监管对象。"),
    h("a", { class: "btn block", href: "#snap" }, "随手拍上报隐患"),
    h("h2", {}, "结束巡查"),
    h("div", { class: "card" },
      h("label", { class: "row", for: "nothing-found" }, nothing, " 已巡查无隐患"), note,
      h("button", { class: "btn primary block", id: "patrol-end", type: "button", on: { click: async () => {
        const rule = patrolRule(state.bundle);
        const progress = patrolProgress(p, Date.now(), rule);
        if (progress.short && !window.confirm(`本次巡查约 ${Math.floor(progress.minutes)} 分钟、${Math.round(progress.metres)} 米，不足本县规定（网格内 ≥${rule.minutes} 分钟且 ≥${rule.metres} 米），结束后不计入本周巡查覆盖。仍要结束吗？`)) return;
        await patrolEnd(nothing.checked, note.value.trim());
        toast("巡查已结束，记录将自动上传");
        location.hash = "#week";
      } } }, "结束巡查")));
}

// The object's register card (台账: domain facts, hazard flags, risk points, deadlines) and its last visits.
function registerCards(place) {
  const reg = place.register_card || {};
  const history = place.history || [];
  const cards = [];
  if ((reg.flags || []).length || (reg.deadlines || []).length) {
    cards.push(h("div", { class: "card warn", id: "visit-register-flags" }, h("b", {}, "台账提示"),
      h("ul", { class: "list" },
        ...(reg.flags || []).map((f) => h("li", {}, f)),
        ...(reg.deadlines || []).map((d) => h("li", {}, `${d.label} ${d.expired ? "已于" : "将于"} ${d.due_on} 到期`)))));
  }
  if ((reg.facts || []).length || (reg.risk_points || []).length) {
    cards.push(h("details", { class: "card", id: "visit-register" }, h("summary", {}, "台账信息"),
      h("ul", { class: "list" }, ...(reg.facts || []).map(([label, value]) => h("li", {}, `${label}：${value || "—"}`)),
        ...(reg.risk_points || []).map((r) => h("li", {}, `风险点 ${r.name}（${r.grade_label}）：${r.measures}`)))));
  }
  if (history.length) {
    cards.push(h("details", { class: "card", id: "visit-history" }, h("summary", {}, `最近检查（${history.length}）`),
      h("ul", { class: "list" }, ...history.map((v) => h("li", {},
        `${String(v.visited_at).slice(0, 10)} ${v.worker} · ${v.result_label}${v.cases ? ` · 发现隐患 ${v.cases} 处` : ""}`)))));
  }
  return cards;
}

function screenVisit(placeId) {
  const place = placeById(placeId);
  const p = state.patrol;
  if (!place) { mount(h("p", { class: "err" }, "找不到该监管对象。")); return; }
  const checklist = checklistFor(place);
  if (!checklist) { mount(h("p", { class: "err" }, "该类对象暂无检查表。"), h("a", { class: "btn", href: "#patrol" }, "返回")); return; }
  const items = checklist.items.filter((i) => !i.applies_to.length || i.applies_to.includes(place.kind));
  const answers = {};
  const photos = {};
  const errors = h("div", { class: "err", id: "visit-error" });
  const findings = place.open_findings || [];
  const blocks = items.map((item) => {
    photos[item.code] = [];
    const desc = h("textarea", { class: "desc", placeholder: "隐患描述", value: item.question });
    const failBox = h("div", { hidden: true },
      h("label", {}, "隐患描述（可修改）"), desc,
      h("label", {}, item.photo_required_on_fail ? "照片（必拍）" : "照片（可选）"),
      photoPicker(photos[item.code]));
    const block = h("div", { class: "item", dataset: { code: item.code } });
    const buttons = [["pass", "合格"], ["fail", "不合格"], ...(item.na_allowed ? [["na", "不适用"]] : [])].map(([value, text]) =>
      h("button", { type: "button", class: value, "aria-pressed": "false", dataset: { answer: value }, on: { click: () => {
        answers[item.code] = { value, desc };
        for (const b of block.querySelectorAll(".seg button")) b.setAttribute("aria-pressed", String(b.dataset.answer === value));
        failBox.hidden = value !== "fail";
        block.classList.toggle("failed", value === "fail");
      } } }, text));
    block.append(
      h("div", {}, h("b", {}, `${item.code} `), item.question),
      h("div", {}, item.severity === "possibly_major" ? h("span", { class: "tag red" }, "可能重大") : h("span", { class: "tag" }, "一般"),
        item.photo_required_on_fail ? h("span", { class: "tag grey" }, "不合格须拍照") : null),
      item.legal_basis ? h("div", { class: "basis" }, `依据：${item.legal_basis}`) : null,
      h("div", { class: "seg" }, buttons), failBox);
    return block;
  });
  mount(
    h("div", { class: "card" }, h("h3", {}, place.name),
      h("div", { class: "muted" }, `${checklist.title} · 第 ${checklist.version} 版 · ${place.address || ""}`)),
    ...registerCards(place),
    findings.length ? h("div", { class: "card warn" }, h("b", {}, "上次发现、尚未整改的隐患（请复查）"),
      h("ul", { class: "list" }, findings.map((f) => h("li", {}, `${f.item_code ? f.item_code + " " : ""}${f.category_name} #${f.case_id} · ${stateLabel(f)}`)))) : null,
    ...blocks, errors,
    h("button", { class: "btn primary block", id: "visit-submit", type: "button", on: { click: submit } }, "提交检查结果"),
    h("a", { class: "btn block", href: "#patrol" }, "返回"));

  async function submit() {
    errors.textContent = "";
    const missing = items.filter((i) => !answers[i.code]);
    if (missing.length) { errors.textContent = `还有 ${missing.length} 项未作答：${missing.map((i) => i.code).join("、")}`; return; }
    const noPhoto = items.filter((i) => answers[i.code].value === "fail" && i.photo_required_on_fail && !photos[i.code].length);
    if (noPhoto.length) { errors.textContent = `不合格项须拍照：${noPhoto.map((i) => i.code).join("、")}`; return; }
    const f = recentFix(state.lastFix, Date.now(), VISIT_FIX_MS) || (await fix());
    const visitId = uuid();
    const media = [];
    const rows = items.map((i) => {
      const a = answers[i.code];
      const row = { code: i.code, answer: a.value, note: "", description: "", photo_client_ids: [] };
      if (a.value === "fail") {
        row.description = a.desc.value.trim() || i.question;
        for (const ph of photos[i.code]) { row.photo_client_ids.push(ph.cid); media.push({ ...ph, item: i.code, place_id: place.id }); }
      }
      return row;
    });
    const failed = rows.filter((r) => r.answer === "fail").length;
    await Outbox.add({ id: visitId, kind: "visit", title: `检查 ${place.name}`, media, body: {
      client_id: visitId, place_id: place.id, template_id: checklist.id, answers: rows,
      patrol_client_id: p ? p.client_id : null, visited_at: new Date().toISOString(),
      lon: f ? f.lon : null, lat: f ? f.lat : null, accuracy_m: f ? f.accuracy_m : null } });
    if (p) { p.visits += 1; p.hazards += failed; await savePatrol(); }
    place.due_state = "upcoming"; place.last_inspected_at = new Date().toISOString();
    toast(failed ? `已保存，发现隐患 ${failed} 处，将自动上报` : "已保存：检查合格");
    location.hash = "#patrol";
  }
}

// 随手拍 ----------------------------------------------------------------------------------------------

function screenSnap(prefill) {
  const d = state.draft = prefill || state.draft || { photos: [], category: "", description: "", place_id: "", fix: null };
  const cats = (state.bundle && state.bundle.categories) || [];
  const picks = h("div", { class: "picks", id: "cat-picks" });
  const search = h("input", { type: "search", id: "cat-search", placeholder: "搜索类别，如：充电、液化气、通道" });
  const drawPicks = () => {
    const q = search.value.trim();
    const shown = cats.filter((c) => !q || c.name.includes(q) || c.keywords.includes(q) || c.domain_name.includes(q) || c.code.includes(q));
    picks.replaceChildren(...shown.map((c) => h("button", { type: "button", class: "pick", "aria-pressed": String(d.category === c.code),
      dataset: { code: c.code }, on: { click: () => { d.category = c.code; drawPicks(); } } }, c.name)));
  };
  search.addEventListener("input", drawPicks);
  drawPicks();
  const desc = h("textarea", { id: "snap-desc", placeholder: "描述隐患：位置、情况、涉及人员", value: d.description,
    on: { input: () => { d.description = desc.value; } } });
  const placeSel = h("select", { id: "snap-place", on: { change: () => { d.place_id = placeSel.value; } } },
    h("option", { value: "" }, "（不关联监管对象）"),
    places().map((p) => h("option", { value: p.id, selected: String(p.id) === String(d.place_id) }, `${p.name} · ${p.grid_name}`)));
  const errors = h("div", { class: "err", id: "snap-error" });
  mount(
    h("div", { class: "card" },
      h("label", {}, "现场照片（拍照时记录定位）"),
      photoPicker(d.photos, (f) => { d.fix = f; }, { shownFix: d.fix }),
      h("label", { for: "cat-search" }, "隐患类别"), search, picks,
      h("label", { for: "snap-desc" }, "隐患描述"), desc,
      h("label", { for: "snap-place" }, "监管对象（可选）"), placeSel,
      errors,
      h("button", { class: "btn primary block", id: "snap-next", type: "button", on: { click: next } }, "下一步")));

  async function next() {
    errors.textContent = "";
    if (!d.photos.length) { errors.textContent = "请先拍照"; return; }
    if (!d.category) { errors.textContent = "请选择隐患类别"; return; }
    if (!d.description.trim()) { errors.textContent = "请填写隐患描述"; return; }
    if (!d.fix) d.fix = await fix();
    if (!d.fix) {
      const pl = placeById(Number(d.place_id));
      if (!pl) { errors.textContent = "未获取到定位：请打开定位，或选择一个监管对象作为位置"; return; }
      d.fix = { lon: pl.lon, lat: pl.lat, accuracy_m: null, t: Date.now(), fromPlace: true };
    }
    const radius = state.bundle ? state.bundle.settings.nearby_radius_m : 200;
    let near = nearbyCases(state.bundle && state.bundle.open_cases, d.category, d.fix, radius);
    try {
      const q = new URLSearchParams({ category: d.category, lon: d.fix.lon, lat: d.fix.lat, radius_m: radius });
      const { data } = await request("GET", `/field/nearby?${q}`);
      near = mergeNearby(data, near);
    } catch (e) { /* offline: the cached open cases are the best we have */ }
    if (!near.length) return submitNew();
    mount(h("div", { class: "card warn" }, h("h3", {}, `附近 ${radius} 米内已有 ${near.length} 条同类隐患`),
      h("p", { class: "muted" }, "如果是同一处隐患，请补充到已有隐患中（照片和说明会加到该隐患上），避免重复上报。")),
      ...near.map((c) => h("div", { class: "card" }, h("div", { class: "row" },
        h("div", { class: "grow" }, h("b", {}, `${c.category_name} #${c.id}`), h("div", { class: "muted" }, `${c.distance_m} 米 · ${stateLabel(c)} · ${fmt(c.created_at)}`)),
        h("button", { class: "btn small primary", type: "button", dataset: { addTo: c.id }, on: { click: () => submitAdd(c) } }, "补充到此隐患")),
        h("div", {}, c.description), c.thumbnails && c.thumbnails.length ? h("div", { class: "thumbs" }, c.thumbnails.map((u) => h("img", { src: ownedUrl(u), alt: "" }))) : null)),
      h("button", { class: "btn block", id: "snap-new-anyway", type: "button", on: { click: submitNew } }, "不是同一处，仍然新建上报"));
  }

  function mediaOf(role) {
    return d.photos.map((ph) => ({ ...ph, role, place_id: d.place_id ? Number(d.place_id) : null }));
  }

  async function submitNew() {
    const id = uuid();
    const category = categoryList().find((c) => c.code === d.category);
    await Outbox.add({ id, kind: "case_report", title: "随手拍上报", category_name: category ? category.name : "",
      media: mediaOf("report"), body: {
      client_id: id, category: d.category, description: d.description.trim(), lon: d.fix.lon, lat: d.fix.lat,
      crs: "wgs84", accuracy_m: d.fix.accuracy_m, place_id: d.place_id ? Number(d.place_id) : null } });
    if (state.patrol) { state.patrol.hazards += 1; await savePatrol(); }
    state.draft = null;
    toast(navigator.onLine ? "已保存，正在上报" : "已保存在本机，联网后自动上报");
    location.hash = state.patrol ? "#patrol" : "#week";
    rerender();
  }

  async function submitAdd(c) {
    await Outbox.add({ id: uuid(), kind: "case_add", title: `补充隐患 #${c.id}`, media: mediaOf("report"),
      body: { case_id: c.id, comment: `【网格员补充】${d.description.trim()}` } });
    state.draft = null;
    toast(`已保存，将补充到隐患 #${c.id}`);
    location.hash = "#week";
  }
}

// 复查 ------------------------------------------------------------------------------------------------

async function screenVerify() {
  const current = stillCurrent();
  const { pending, tasks } = pendingVerifications(state.bundle, await Outbox.jobs());
  if (!current()) return;
  if (!tasks.length) {
    // Waiting for the upload: the screen is redrawn when the outbox has emptied (app.js), so it never goes on
    // saying "等待上传" after the upload.
    mount(pending.size ? h("p", { class: "muted center", id: "verify-waiting", dataset: { waiting: "1" } },
      `复查结果已保存，等待上传（${pending.size} 条）。`, h("a", { href: "#outbox" }, "查看待上传"))
      : h("p", { class: "muted center" }, "没有待复查的隐患。"));
    return;
  }
  mount(...tasks.map((t) => {
    const photos = [];
    const comment = h("textarea", { placeholder: "核查意见（不通过时必填原因）" });
    const err = h("div", { class: "err" });
    const pics = (list) => list.length ? list.map((p) => h("img", { src: ownedUrl(p.thumbnail_url || p.url), alt: "" })) : [h("div", { class: "muted" }, "无照片")];
    const decide = async (action) => {
      err.textContent = "";
      if (action === "verify_fail" && !comment.value.trim()) { err.textContent = "请填写不通过的原因"; return; }
      const f = await fix();
      if (!f) { err.textContent = "现场核查需要定位，请打开定位"; return; }
      await Outbox.add({ id: uuid(), kind: "verify", title: `复查 #${t.id}`,
        media: photos.map((p) => ({ ...p, role: "verification" })),
        body: { case_id: t.id, action, version: t.version, comment: comment.value.trim(), lon: f.lon, lat: f.lat } });
      toast(action === "verify_pass" ? "已记录：核查通过" : "已记录：核查不通过");
      rerender();
    };
    return h("div", { class: "card" },
      h("div", { class: "row" }, h("b", { class: "grow" }, `${t.category_name} #${t.id}`), h("span", { class: "tag orange" }, stateLabel(t))),
      h("div", {}, t.description), t.measures ? h("div", { class: "muted" }, `整改措施：${t.measures}（${t.submitted_by}）`) : null,
      h("div", { class: "pair" },
        h("figure", {}, ...pics(t.before), h("figcaption", {}, "整改前")),
        h("figure", {}, ...pics(t.after), h("figcaption", {}, "整改后"))),
      h("label", {}, "核查照片（与整改前同一位置、同一角度）"), photoPicker(photos),
      h("label", {}, "核查意见"), comment, err,
      h("div", { class: "row" },
        h("button", { class: "btn primary grow", type: "button", dataset: { pass: t.id }, on: { click: () => decide("verify_pass") } }, "核查通过"),
        h("button", { class: "btn danger grow", type: "button", dataset: { fail: t.id }, on: { click: () => decide("verify_fail") } }, "不通过")));
  }));
}

// 退回 ------------------------------------------------------------------------------------------------

function screenReturned() {
  const list = (state.bundle && state.bundle.returned) || [];
  if (!list.length) { mount(h("p", { class: "muted center" }, "没有被退回或作废的上报。")); return; }
  const asked = new Set();  // 退回核实: one answer form per case, on its newest request
  mount(...list.map((m) => {
    const text = h("textarea", { placeholder: "补充或更正的内容" });
    const photos = [];
    const err = h("div", { class: "err" });
    const answer = m.waiting && !asked.has(m.case.id) && asked.add(m.case.id);
    const actions = m.kind === "case.info_requested"
      ? (answer ? h("div", {}, h("label", {}, "核实补充（到现场核实后填写，可附照片）"), text, photoPicker(photos), err,
        h("button", { class: "btn primary block", type: "button", dataset: { supply: m.case.id }, on: { click: async () => {
          if (!text.value.trim()) { err.textContent = "请填写核实补充内容"; return; }
          await Outbox.add({ id: uuid(), kind: "supply_info", title: `核实补充 #${m.case.id}`,
            media: photos.map((p) => ({ ...p, role: "before" })),
            body: { case_id: m.case.id, answer: text.value.trim() } });
          toast("核实补充已保存，将提交给审核人员");
        } } }, "提交核实补充"))
        : h("p", { class: "muted" }, "已补充"))
      : m.case_open
      ? h("div", {}, h("label", {}, "更正说明（作为备注提交，审核人员会看到）"), text, photoPicker(photos), err,
        h("button", { class: "btn primary block", type: "button", on: { click: async () => {
          if (!text.value.trim()) { err.textContent = "请填写更正内容"; return; }
          await Outbox.add({ id: uuid(), kind: "case_add", title: `更正隐患 #${m.case.id}`,
            media: photos.map((p) => ({ ...p, role: "report" })),
            body: { case_id: m.case.id, comment: `【更正后重新提交】${text.value.trim()}` } });
          toast("更正已保存，将提交给审核人员");
        } } }, "提交更正"))
      : h("button", { class: "btn block", type: "button", dataset: { resubmit: m.case.id }, on: { click: () => {
        state.draft = { photos: [], category: m.case.category, description: m.case.description, place_id: m.case.place_id || "", fix: null };
        location.hash = "#snap";
      } } }, "修改后重新上报");
    return h("div", { class: "card" },
      h("div", { class: "row" }, h("span", { class: "tag red" }, m.kind_label), h("b", { class: "grow" }, `${m.case.category_name} #${m.case.id}`)),
      h("div", { class: "muted" }, m.case.description),
      h("div", { class: "card warn" }, h("b", {}, `审核意见${m.reason_label ? "（" + m.reason_label + "）" : ""}：`), m.comment || "（无）",
        h("div", { class: "muted" }, `${m.actor_label} · ${fmt(m.created_at)}`)),
      actions);
  }));
}

// 监管对象 --------------------------------------------------------------------------------------------

function screenPlaces() {
  const sub = argOf(location.hash);
  if (sub) return screenPlaceForm(sub === "new" ? null : placeById(Number(sub) || sub));
  const search = h("input", { type: "search", placeholder: "搜索名称或地址" });
  const ul = h("ul", { class: "list" });
  const draw = () => {
    const q = search.value.trim();
    ul.replaceChildren(...places().filter((p) => !q || p.name.includes(q) || (p.address || "").includes(q)).map((p) => {
      const li = placeLine(p, p.can_edit !== false ? h("a", { class: "btn small", href: `#places/${p.id || p.client_id}` }, "修改") : null);
      li.append(h("div", { class: "muted" }, `负责人 ${p.contact_name || "—"} · ${p.contact_phone || "—"}${p.address ? " · " + p.address : ""}`));
      return li;
    }));
  };
  search.addEventListener("input", draw);
  draw();
  mount(h("a", { class: "btn primary block", href: "#places/new", id: "place-new" }, "新增监管对象"),
    h("div", { class: "mt" }, search), h("div", { class: "card mt" }, ul),
    h("p", { class: "muted" }, "联系方式已按个人信息保护要求脱敏显示。"));
}

function screenPlaceForm(place) {
  const isNew = !place;
  const v = place || { name: "", kind: "rental_housing", domain: "rental", address: "", contact_name: "", contact_phone: "",
    licence_no: "", risk_level: "yellow", rental_class: "", grid_code: (myGrids()[0] || {}).code };
  const f = {};
  const field = (key, label, el) => { f[key] = el; el.id = `place-${key}`; return [h("label", { for: el.id }, label), el]; };
  const opt = (pairs, cur) => pairs.map(([val, text]) => h("option", { value: val, selected: val === cur }, text));
  let where = null;
  const gps = h("div", { class: "gps" }, isNew ? "尚未定位" : `位置 ${v.lat.toFixed(5)}, ${v.lon.toFixed(5)}`);
  const err = h("div", { class: "err" });
  mount(h("div", { class: "card" }, h("h3", {}, isNew ? "新增监管对象" : `修改：${v.name}`),
    ...field("name", "名称", h("input", { value: v.name })),
    ...field("kind", "类型", h("select", {}, opt(Object.entries(KINDS), v.kind))),
    ...field("domain", "领域", h("select", {}, opt(((state.bundle && state.bundle.domains) || []).map((d) => [d.code, d.name]), v.domain))),
    ...field("risk_level", "风险等级", h("select", {}, opt([["red", "红（重大）"], ["orange", "橙（较大）"], ["yellow", "黄（一般）"], ["blue", "蓝（低）"]], v.risk_level))),
    ...field("rental_class", "出租房分类", h("select", {}, opt([["", "—"], ["strict", "严管类"], ["watch", "关注类"]], v.rental_class))),
    ...field("address", "地址", h("input", { value: v.address })),
    ...field("contact_name", "负责人", h("input", { value: v.contact_name })),
    ...field("contact_phone", "联系电话", h("input", { value: v.contact_phone, inputmode: "tel" })),
    ...field("licence_no", "许可证号", h("input", { value: v.licence_no })),
    ...(isNew ? field("grid_code", "所属网格", h("select", {}, opt(myGrids().map((g) => [g.code, g.name]), v.grid_code))) : []),
    h("label", {}, "位置"), gps,
    h("button", { class: "btn small", type: "button", on: { click: async () => { where = await fix(); gps.replaceChildren(fixText(where, poorLimit())); } } }, "使用当前位置"),
    err,
    h("button", { class: "btn primary block", type: "button", id: "place-save", on: { click: save } }, "保存"),
    h("a", { class: "btn block", href: "#places" }, "返回")));
  f.kind.addEventListener("change", () => { if (isNew) f.domain.value = KIND_DOMAIN[f.kind.value] || f.domain.value; });

  async function save() {
    err.textContent = "";
    const values = Object.fromEntries(Object.entries(f).map(([k, el]) => [k, el.value.trim()]));
    if (!values.name) { err.textContent = "请填写名称"; return; }
    if (isNew) {
      if (!where) where = await fix();
      if (!where) { err.textContent = "请先定位（在对象现场点“使用当前位置”）"; return; }
      const id = uuid();
      const body = { client_id: id, ...values, lon: where.lon, lat: where.lat };
      await Outbox.add({ id, kind: "place_create", title: `新增 ${values.name}`, body });
      places().push({ ...body, id: null, kind_label: KINDS[values.kind], due_state: "due", is_active: true,
        contact_phone: maskPhone(values.contact_phone), can_edit: false });
    } else {
      const changes = {};
      for (const [k, val] of Object.entries(values)) if (val !== (place[k] ?? "")) changes[k] = val;
      if (where) { changes.lon = where.lon; changes.lat = where.lat; }
      if (!Object.keys(changes).length) { err.textContent = "没有修改"; return; }
      await Outbox.add({ id: uuid(), kind: "place_update", title: `修改 ${place.name}`, place: place.id,
        body: { request_id: uuid(), base_version: place.version, changes } });
      Object.assign(place, changes);
    }
    toast("已保存，将自动上传");
    location.hash = "#places";
  }
}

// 宣传 ------------------------------------------------------------------------------------------------

async function screenPublicity() {
  const photos = [];
  const f = {};
  const field = (key, label, el) => { f[key] = el; el.id = `pub-${key}`; return [h("label", { for: el.id }, label), el]; };
  const local = localDateTime(new Date());
  const err = h("div", { class: "err" });
  const history = h("div", {}, h("p", { class: "muted" }, "正在加载记录…"));
  mount(h("div", { class: "card" }, h("h3", {}, "记录宣传活动"),
    ...field("title", "主题", h("input", { placeholder: "如：安全生产月入户宣传" })),
    ...field("kind", "形式", h("select", {}, [["door_to_door", "入户宣传"], ["campaign_week", "安全生产宣传周"], ["training", "培训"], ["meeting", "会议"], ["other", "其他"]].map(([a, b]) => h("option", { value: a }, b)))),
    ...field("grid_code", "网格", h("select", {}, myGrids().map((g) => h("option", { value: g.code }, g.name)))),
    ...field("held_at", "时间", h("input", { type: "datetime-local", value: local })),
    ...field("address", "地点", h("input", {})),
    ...field("head_count", "参与人数", h("input", { type: "number", min: 0, value: "0", inputmode: "numeric" })),
    ...field("materials", "发放资料（份）", h("input", { type: "number", min: 0, value: "0", inputmode: "numeric" })),
    ...field("note", "情况说明", h("textarea", {})),
    h("label", {}, "活动照片"), photoPicker(photos), err,
    h("button", { class: "btn primary block", type: "button", id: "pub-save", on: { click: async () => {
      const v = Object.fromEntries(Object.entries(f).map(([k, el]) => [k, el.value.trim()]));
      if (!v.title) { err.textContent = "请填写主题"; return; }
      const id = uuid();
      await Outbox.add({ id, kind: "publicity", title: `宣传：${v.title}`, media: photos.map((p) => ({ ...p })), body: {
        client_id: id, grid_code: v.grid_code, title: v.title, kind: v.kind, address: v.address, note: v.note,
        held_at: v.held_at ? new Date(v.held_at).toISOString() : null,
        head_count: Number(v.head_count) || 0, materials: Number(v.materials) || 0 } });
      toast("宣传记录已保存");
      rerender();
    } } }, "保存")),
    h("h2", {}, "最近的宣传记录"), history);
  try {
    const { data } = await request("GET", "/field/publicity?limit=20");
    history.replaceChildren(data.items.length ? h("div", { class: "card" }, h("ul", { class: "list" }, data.items.map((a) =>
      h("li", {}, h("b", {}, a.title), h("div", { class: "muted" }, `${fmt(a.held_at)} · ${a.grid_name} · ${a.head_count} 人 · 照片 ${a.photos} 张`)))))
      : h("p", { class: "muted" }, "还没有宣传记录。"));
  } catch (e) { history.replaceChildren(h("p", { class: "muted" }, "离线：联网后显示历史记录。")); }
}

// 待上传 (outbox) -------------------------------------------------------------------------------------

async function screenOutbox() {
  const current = stillCurrent();
  const jobs = await Outbox.jobs();
  if (!current()) return;
  if (!jobs.length) { mount(h("p", { class: "muted center" }, "所有记录都已上传。")); return; }
  mount(h("p", { class: "muted" }, "记录和它的全部照片被服务器确认后，才会从本机删除。"), ...jobs.map((job) => {
    const done = job.media.filter((m) => m.done).length;
    const problem = job.problem || {};
    const retry = h("button", { class: "btn small", type: "button", dataset: { retry: job.id }, on: { click: async () => {
      retryJob(job); await DB.put("jobs", job); Outbox.kick(); rerender(); } } }, "重试");
    const discard = h("button", { class: "btn small danger", type: "button", on: { click: async () => {
      if (!window.confirm("放弃这条记录？放弃后无法恢复。")) return;
      await Outbox.finish(job); await Outbox.badge(); rerender(); } } }, "放弃");
    let conflict = null;
    if (problem.code === "edit_conflict" && problem.server) {
      const rows = (problem.fields || []).map((k) => h("tr", {}, h("th", {}, k), h("td", {}, String(problem.server[k] ?? "")),
        h("td", {}, String((problem.client.changes || {})[k] ?? ""))));
      conflict = h("div", {}, h("table", { class: "diff" }, h("tr", {}, h("th", {}, "字段"), h("th", {}, "服务器（他人修改）"), h("th", {}, "我的修改")), rows),
        h("button", { class: "btn small primary", type: "button", dataset: { overwrite: job.id }, on: { click: async () => {
          // An explicit decision: rebase my edit on the server's version and send it again.
          overwriteWithMine(job, problem, uuid());
          await DB.put("jobs", job); Outbox.kick(); rerender(); } } }, "用我的修改覆盖"));
    }
    return h("div", { class: "card " + (job.status === "refused" ? "bad" : "") },
      h("div", { class: "row" }, h("b", { class: "grow" }, jobLabel(job, categoryList())), h("span", { class: "muted" }, fmt(new Date(job.created).toISOString()))),
      h("div", { class: "muted" }, `${job.result ? "记录已确认" : "记录未上传"} · 照片 ${done}/${job.media.length}`),
      job.error ? h("div", { class: "err" }, (job.status === "refused" ? "被拒绝：" : "未能上传：") + job.error) : null,
      conflict, h("div", { class: "row" }, canRetry(job) ? retry : null, discard));
  }));
}

// 我的 / 退出登录 ------------------------------------------------------------------------------------

async function screenAccount() {
  const current = stillCurrent();
  const jobs = state.user === null ? [] : await Outbox.jobs();
  if (!current()) return;
  const w = state.week || state.bundle;
  const name = w && w.worker ? w.worker.name : "";
  const out = h("button", { class: "btn danger block", type: "button", id: "signout" }, jobs.length ? "仍然退出登录" : "退出登录");
  out.addEventListener("click", () => signOutFrom(out));
  mount(
    h("div", { class: "card" }, h("b", {}, name || "网格员"), h("div", { class: "muted" }, "本机只保存本账号的数据；退出后其他人登录看不到。")),
    h("a", { class: "btn block", href: "#mine", id: "account-mine" }, "我的上报"),
    // The accounts app's own page: its password rules (AUTH_PASSWORD_VALIDATORS), history and audit, nothing copied.
    h("a", { class: "btn block", href: "/account/password/", id: "account-password" }, "修改密码"),
    jobs.length ? h("div", { class: "card bad", id: "signout-warning", role: "alert" },
      h("b", {}, `还有 ${jobs.length} 条未上传的记录`),
      h("div", {}, "退出后这些记录仍保留在本机（其他账号看不到），您下次用本账号登录后会继续上传。如需现在上传，请联网后稍候再退出。"),
      h("a", { href: "#outbox" }, "查看待上传的记录")) : null,
    out);
}

async function signOutFrom(button) {
  button.disabled = true;
  const result = await signOut();
  if (!result.ok) {
    button.disabled = false;
    toast(result.message);
    return;
  }
  location.replace(CFG.login);
}


// 我的上报 ---------------------------------------------------------------------------------------------

let mineFilter = "all";

async function screenMine() {
  const sub = argOf(location.hash);
  if (sub) return screenReport(Number(sub));
  const current = stillCurrent();
  const list = h("div", { id: "mine-list" }, h("p", { class: "muted center" }, "正在加载…"));
  const seg = h("div", { class: "seg", id: "mine-filter" }, REPORT_FILTERS.map(([key, text]) => h("button", {
    type: "button", "aria-pressed": String(key === mineFilter), dataset: { filter: key },
    on: { click: () => { mineFilter = key; rerender(); } } }, text)));
  mount(seg, list);
  let items = [];
  const more = async (offset) => {
    const path = reportsPath(mineFilter, offset);
    let data = null;
    try { data = (await request("GET", path)).data; } catch (e) { data = await cachedJSON(path); }
    if (!current()) return;
    if (!data) { list.replaceChildren(h("p", { class: "muted center" }, "离线：联网后查看我的上报。")); return; }
    items = items.concat(data.items);
    const counts = h("p", { class: "muted" }, `共 ${data.open_count + data.closed_count} 条 · 未结案 ${data.open_count} · 已结案 ${data.closed_count}`);
    const rows = items.map((r) => {
      const tag = reportTag(r);
      return h("li", {}, h("a", { class: "row report-line", href: `#mine/${r.id}`, dataset: { report: r.id } },
        h("div", { class: "grow" }, h("b", {}, r.category_name), " ", h("span", { class: "muted" }, `#${r.id} · ${fmt(r.created_at)}`),
          h("div", {}, r.description), h("div", { class: "muted" }, lastStep(r))),
        r.supervision_label ? h("span", { class: "tag red" }, r.supervision_label) : null,
        h("span", { class: `tag ${tag.cls}` }, tag.text)));
    });
    list.replaceChildren(...[counts, items.length ? h("div", { class: "card" }, h("ul", { class: "list" }, rows))
      : h("p", { class: "muted center" }, "没有这样的上报。"),
      items.length < data.total ? h("button", { class: "btn block", type: "button", id: "mine-more", on: { click: () => more(items.length) } }, "加载更多") : null]
      .filter(Boolean));  // replaceChildren would write a null as the text "null"
  };
  await more(0);
}

async function screenReport(id) {
  const current = stillCurrent();
  const path = `/field/reports/${id}`;
  let r = null;
  try { r = (await request("GET", path)).data; } catch (e) {
    r = await cachedJSON(path);
    if (!r && !current()) return;
    if (!r) { mount(h("p", { class: "err" }, e.message || "无法加载该上报。"), h("a", { class: "btn block", href: "#mine" }, "返回我的上报")); return; }
  }
  if (!current()) return;
  const tag = reportTag(r);
  const pics = r.photos.map((p) => h("img", { src: ownedUrl(p.thumbnail_url || p.url), alt: p.role === "after" ? "整改后" : "照片" }));
  mount(
    h("div", { class: "card" },
      h("div", { class: "row" }, h("b", { class: "grow" }, `${r.category_name} #${r.id}`), h("span", { class: `tag ${tag.cls}` }, tag.text)),
      h("div", {}, r.description), h("div", { class: "muted" }, `上报于 ${fmt(r.created_at)}${r.address ? " · " + r.address : ""}`),
      r.is_open ? h("div", { class: "muted" }, `当前由 ${r.holder || "—"} 办理${r.due_at ? " · 期限 " + fmt(r.due_at) : ""}`) : null,
      r.supervision_label ? h("div", {}, h("span", { class: "tag red" }, r.supervision_label)) : null,
      pics.length ? h("div", { class: "thumbs" }, pics) : null),
    r.result ? h("div", { class: "card " + (r.result.fixed ? "ok" : "warn"), id: "report-result" },
      h("b", {}, `办理结果：${r.result.status_text}`),
      r.result.measures ? h("div", {}, `整改措施${r.result.method_label ? "（" + r.result.method_label + "）" : ""}：${r.result.measures}`) : null,
      r.result.closing_comment ? h("div", {}, `结案意见：${r.result.closing_comment}`) : null,
      h("div", { class: "muted" }, `${r.result.closed_by} · ${fmt(r.result.closed_at)}`)) : null,
    h("h2", {}, "办理经过"),
    h("div", { class: "card" }, h("ol", { class: "list timeline", id: "report-timeline" }, timelineRows(r.timeline).map((line) =>
      h("li", { class: line.standout ? "standout" : null },
        h("div", { class: "row" }, h("b", { class: "grow" }, line.title), h("span", { class: "muted" }, fmt(line.when))),
        line.text ? h("div", {}, line.text) : null,
        h("div", { class: "muted" }, `${line.who}${line.state ? " → " + line.state : ""}`))))),
    h("a", { class: "btn block", href: "#mine" }, "返回我的上报"));
}


export const FORMS = { patrol: screenPatrol, snap: () => screenSnap(), verify: screenVerify, returned: screenReturned,
  places: screenPlaces, publicity: screenPublicity, outbox: screenOutbox, account: screenAccount, mine: screenMine };
