/* Talking to the API. What an answer means for the outbox: a network error, 5xx, 408 or 429 is Offline (try again
   later, in order); 401 or a redirect to the login page is Offline too, after telling the page the login expired
   (records stay on the phone); any other refusal (409, 422, 404...) is Refused, with the server's reason kept.
   fetch and the cookie are passed in, so node can test it. */

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
