/* 检查表编辑器: move a row up or down in the items editor, and ask before publishing, retiring or discarding.
   No inline handlers (the CSP forbids them); works on rows htmx appends later, by delegation. */
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-move]");
  if (!button) return;
  const row = button.closest("tr");
  if (button.dataset.move === "up" && row.previousElementSibling) {
    row.parentNode.insertBefore(row, row.previousElementSibling);
  } else if (button.dataset.move === "down" && row.nextElementSibling) {
    row.parentNode.insertBefore(row.nextElementSibling, row);
  }
  button.focus();
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
