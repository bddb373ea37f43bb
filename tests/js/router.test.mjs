// Hash routes to screens (router.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { routeOf, argOf, titleOf, screenFor, createDraws, TITLES } from "../../gridsafe/field/static/field/js/router.js";

const SCREENS = Object.fromEntries(Object.keys(TITLES).map((name) => [name, () => name]));

test("a hash names its screen; the part after / is the screen's argument", () => {
  assert.equal(routeOf("#patrol/12"), "patrol");
  assert.equal(argOf("#patrol/12"), "12");
  assert.equal(routeOf("#places/new"), "places");
  assert.equal(argOf("#places/new"), "new");
  assert.equal(argOf("#places"), undefined);
  for (const name of Object.keys(TITLES)) assert.equal(screenFor(SCREENS, routeOf(`#${name}`))(), name);
});

test("no hash, or an empty one, opens 本周", () => {
  for (const hash of ["", "#", "#/3", undefined]) {
    assert.equal(routeOf(hash), "week");
    assert.equal(screenFor(SCREENS, routeOf(hash))(), "week");
  }
  assert.equal(titleOf("week"), "本周");
});

test("an unknown route shows 本周 under the app's own title", () => {
  assert.equal(routeOf("#nonsense"), "nonsense");
  assert.equal(screenFor(SCREENS, "nonsense")(), "week");
  assert.equal(titleOf("nonsense"), "网格员");
  assert.equal(titleOf("outbox"), "待上传");
  assert.equal(titleOf("account"), "我的");
});

test("a slow draw knows when a newer screen was opened since", () => {
  const draws = createDraws();
  draws.next();
  const first = draws.stillCurrent();
  assert.equal(first(), true);
  draws.next();
  assert.equal(first(), false);
  assert.equal(draws.stillCurrent()(), true);
});
