// 数据导入: while a run is checked or imported, poll its progress once a second; reload the page when it ends.
const box = document.getElementById("run-progress");
if (box) {
  const bar = document.getElementById("run-bar");
  const count = document.getElementById("run-count");
  const status = document.getElementById("run-status");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (response.ok) {
        const run = await response.json();
        if (run.total) {
          bar.max = run.total;
          bar.value = run.done;
        }
        count.textContent = `${run.done} / ${run.total}`;
        status.textContent = run.label;
        if (!run.busy) {
          window.location.reload();
          return;
        }
      }
    } catch {
      // a dropped poll: try again on the next tick
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}
