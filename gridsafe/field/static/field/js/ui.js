/* DOM helpers of the field app. Text goes in with textContent only (no innerHTML), and handlers with
   addEventListener (the CSP allows no inline handlers). */

import { fixSummary } from "./gps.js";

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
