/* Idle sign-out warning (ES module; no inline script: CSP). A session ends after data-idle-seconds without
   activity, and background polls (the badge, the home queues: X-GridSafe-Poll) do not count. Every answer to a
   signed-in page says how many seconds are left (X-GridSafe-Idle-Remaining), so activity in another tab is seen
   at the next poll. Two minutes before the end a dialog warns; 继续 makes a real request, which extends the
   session. At the end the page goes to the login page (the server has ended the session by then). */

const WARN_SECONDS = 120;
const REMAINING = "X-GridSafe-Idle-Remaining";

const limit = Number.parseInt(document.body.dataset.idleSeconds, 10);
const dialog = document.getElementById("idle-dialog");
let deadline = Date.now() + limit * 1000; // the page itself was a real request

function note(value) {
  const seconds = Number.parseInt(value, 10);
  if (Number.isNaN(seconds)) return;
  deadline = Date.now() + seconds * 1000;
  if (seconds > WARN_SECONDS && dialog.open) dialog.close(); // extended elsewhere (another tab)
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) {
    return "";
  }
}

function signedOut() {
  const next = location.pathname + location.search;
  location.assign(`/login/?${new URLSearchParams({ next, idle: "1" })}`);
}

async function extend() {
  try {
    const response = await fetch("/session/keepalive/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
    if (response.status === 401 || response.redirected) { signedOut(); return; }
    note(response.headers.get(REMAINING));
    if (dialog.open) dialog.close();
  } catch (e) {
    document.getElementById("idle-text").textContent = "网络连接失败，请检查网络后再点“继续”";
  }
}

function tick() {
  const left = Math.round((deadline - Date.now()) / 1000);
  if (left <= 0) { signedOut(); return; }
  if (left <= WARN_SECONDS) {
    document.getElementById("idle-text").textContent =
      `您将在 ${Math.max(1, Math.ceil(left / 60))} 分钟后因长时间未操作而退出登录`;
    if (!dialog.open) dialog.showModal();
  }
}

if (dialog && Number.isFinite(limit) && limit > 0) {
  document.addEventListener("htmx:afterRequest", (evt) => {
    const xhr = evt.detail && evt.detail.xhr;
    if (xhr) note(xhr.getResponseHeader(REMAINING));
  });
  document.getElementById("idle-continue").addEventListener("click", extend);
  dialog.addEventListener("cancel", (evt) => evt.preventDefault()); // Esc is not "continue": the button is
  setInterval(tick, 1000);
  window.GridsafeSession = { note, tick, deadline: () => deadline }; // for tests and support staff
}
