// 我的上报 (reports.js), the outbox's names for records and its 重试 (outbox.js), the patrol rule on the phone
// (gps.js) and which screens redraw after an upload (router.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { reportsPath, reportTag, timelineRows, lastStep, REPORT_PAGE }
  from "../../gridsafe/field/static/field/js/reports.js";
import { jobLabel, canRetry, retryJob } from "../../gridsafe/field/static/field/js/outbox.js";
import { addTrackPoint, patrolRule, patrolProgress, PATROL_RULE } from "../../gridsafe/field/static/field/js/gps.js";
import { redrawAfterUpload, titleOf } from "../../gridsafe/field/static/field/js/router.js";

test("the list asks for one filter and one page; an unknown filter is all", () => {
  assert.equal(reportsPath("closed", 20), `/field/reports?status=closed&limit=${REPORT_PAGE}&offset=20`);
  assert.equal(reportsPath("nonsense", -5), `/field/reports?status=all&limit=${REPORT_PAGE}&offset=0`);
  assert.equal(titleOf("mine"), "我的上报");
});

test("a closed report says how it closed; only 已整改销号 is green", () => {
  const fixed = { is_open: false, closure: "resolved", status_text: "已结案·已整改销号" };
  const voided = { is_open: false, closure: "invalid", status_text: "已结案·已作废" };
  assert.deepEqual(reportTag(fixed), { text: "已结案·已整改销号", cls: "green" });
  assert.deepEqual(reportTag(voided), { text: "已结案·已作废", cls: "grey" });
  assert.equal(reportTag({ is_open: true, light: "red", status_text: "处置中" }).cls, "red");
  assert.equal(reportTag({ is_open: true, light: "green", status_text: "处置中" }).cls, "blue");
});

test("the timeline keeps every line; returns, 督办, notes and the decision stand out", () => {
  const rows = timelineRows([
    { kind: "case.reported", kind_label: "上报隐患", actor_label: "王芳", comment: "", detail: "", state_text: "已上报/待研判", created_at: "2026-12-01T01:00:00Z" },
    { kind: "case.returned", kind_label: "回退", actor_label: "吴海", comment: "请补充楼栋号", detail: "原因：信息不全", state_text: "", created_at: "2026-12-02T01:00:00Z" },
    { kind: "case.supervised", kind_label: "督办", actor_label: "张书记", comment: "三日内整改", detail: "红牌", state_text: "", created_at: "2026-12-03T01:00:00Z" },
    { kind: "case.verified", kind_label: "核查通过", actor_label: "黄建国", comment: "已清理", detail: "", state_text: "已结案·已整改销号", created_at: "2026-12-04T01:00:00Z" },
  ]);
  assert.deepEqual(rows.map((r) => r.standout), [false, true, true, true]);
  assert.equal(rows[1].text, "请补充楼栋号 · 原因：信息不全");
  assert.equal(rows[3].state, "已结案·已整改销号");
  assert.deepEqual(timelineRows(undefined), []);
  assert.equal(lastStep({ last_event: { kind_label: "督办", comment: "三日内整改", actor_label: "张书记" } }), "督办：三日内整改 · 张书记");
  assert.equal(lastStep({ last_event: null }), "");
});

test("outbox records are named by category and description, or by their case", () => {
  const categories = [{ code: "fire-ebike-indoor", name: "电动车室内充电" }];
  const report = { kind: "case_report", title: "随手拍上报",
    body: { category: "fire-ebike-indoor", description: "  楼道内有三辆电动车在充电，堵塞了安全出口和消防通道 " } };
  assert.equal(jobLabel(report, categories), "随手拍：电动车室内充电 · 楼道内有三辆电动车在充电，堵塞了安全出口和消防通…");
  // Never the code: the name saved with the record (the list drawn before the categories load), else 隐患.
  assert.equal(jobLabel({ ...report, category_name: "电动车室内充电" }, []), "随手拍：电动车室内充电 · 楼道内有三辆电动车在充电，堵塞了安全出口和消防通…");
  assert.equal(jobLabel({ ...report, body: { category: "gone", description: "短" } }, categories), "随手拍：隐患 · 短");
  assert.equal(jobLabel({ kind: "case_add", body: { case_id: 12, comment: "【网格员补充】补拍了两张" } }), "补充隐患 #12：补拍了两张");
  assert.equal(jobLabel({ kind: "verify", body: { case_id: 9, action: "verify_fail" } }), "复查 #9：核查不通过");
  assert.equal(jobLabel({ kind: "visit", title: "检查 林记液化气供应点", body: {} }), "检查 林记液化气供应点");
});

test("重试 is offered for a refused record and for one the network stopped, and clears the error", () => {
  assert.equal(canRetry({ status: "pending", error: "" }), false);
  assert.equal(canRetry({ status: "pending", error: "网络不可用" }), true);
  const refused = { status: "refused", error: "类别无效" };
  assert.equal(canRetry(refused), true);
  assert.deepEqual(retryJob(refused), { status: "pending", error: "" });
});

test("the phone's estimate of the county's patrol rule: minutes and trusted metres walked", () => {
  assert.deepEqual(patrolRule(null), PATROL_RULE);
  assert.deepEqual(patrolRule({ settings: { patrol_min_minutes: 30, patrol_min_distance_m: 800 } }), { minutes: 30, metres: 800 });
  const start = Date.parse("2026-12-06T08:00:00Z");
  const p = { started_at: new Date(start).toISOString(), seq: 0, buffer: [], last: null };
  addTrackPoint(p, { lon: 119.0, lat: 25.0, accuracy_m: 8, t: start });
  addTrackPoint(p, { lon: 119.003, lat: 25.0, accuracy_m: 8, t: start + 60000 });  // ~300 m east
  addTrackPoint(p, { lon: 119.006, lat: 25.0, accuracy_m: 400, t: start + 120000 });  // kept, but not trusted for distance
  assert.ok(p.metres > 290 && p.metres < 320, String(p.metres));
  const blink = patrolProgress(p, start + 3000);
  assert.equal(blink.short, true);
  assert.match(blink.text, /已巡查 0 分钟 · 约 30\d 米（计入覆盖需网格内 ≥20 分钟且 ≥500 米）/);
  addTrackPoint(p, { lon: 119.0, lat: 25.0, accuracy_m: 8, t: start + 25 * 60000 });
  assert.equal(patrolProgress(p, start + 25 * 60000).short, false);
});

test("after an upload, read-only screens and a screen only waiting for it redraw; forms do not", () => {
  assert.equal(redrawAfterUpload("mine", null), true);
  assert.equal(redrawAfterUpload("verify", null), false);  // a 复查 form being filled in
  assert.equal(redrawAfterUpload("verify", { dataset: { waiting: "1" } }), true);  // "等待上传" only
  assert.equal(redrawAfterUpload("snap", null), false);
});
