/* A filter box for long <select> lists (select[data-filter]: the placeholder text): typing hides the options and
 * groups that do not contain the text; selected options always stay visible. No inline script (CSP). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-filter]").forEach(function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.placeholder = select.dataset.filter;
    box.setAttribute("aria-label", select.dataset.filter);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var text = box.value.trim();
      select.querySelectorAll("optgroup").forEach(function (group) {
        var any = false;
        group.querySelectorAll("option").forEach(function (option) {
          var show = !text || option.selected || option.textContent.indexOf(text) >= 0 || group.label.indexOf(text) >= 0;
          option.hidden = !show;
          any = any || show;
        });
        group.hidden = !any;
      });
      select.querySelectorAll(":scope > option").forEach(function (option) {
        option.hidden = Boolean(text) && !option.selected && option.textContent.indexOf(text) < 0;
      });
    });
  });
})();
