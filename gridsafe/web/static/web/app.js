/* GridSafe pages: small behaviour that htmx attributes cannot express. No inline scripts anywhere (CSP). */
(function () {
  "use strict";

  var TOAST_MS = 10000;

  function toast(text, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast" + (level === "error" ? " toast-error" : "");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    expire(item);
  }

  function expire(item) {
    if (item.dataset.expires) return;
    item.dataset.expires = "1";
    window.setTimeout(function () {
      item.classList.add("toast-leaving");
      window.setTimeout(function () { item.remove(); }, 400);
    }, TOAST_MS);
  }

  function expireToasts() {
    document.querySelectorAll("#toasts .toast").forEach(expire);
  }

  document.addEventListener("htmx:oobAfterSwap", expireToasts);
  document.addEventListener("htmx:afterSwap", expireToasts);

  // 403/409/422 are swapped as messages (htmx-config); anything else that fails gets a toast, never silence.
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (evt.detail.elt && evt.detail.elt.id === "nav-badge") return; // the poll retries by itself
    toast(status === 404 ? "未找到该内容，可能已不在您的辖区内" : "操作失败（" + status + "），请稍后重试", "error");
  });
  document.addEventListener("htmx:sendError", function (evt) {
    if (evt.detail.elt && evt.detail.elt.id === "nav-badge") return;
    toast("网络连接失败，请检查网络后重试", "error");
  });

  // A successful action closes its form and brings the page's message into view.
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "case-body") {
      var msg = document.querySelector("#case-body > .msg");
      if (msg && msg.scrollIntoView) msg.scrollIntoView({ block: "nearest" });
    }
  });
})();
