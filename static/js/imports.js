// Import progress: poll the progress URL until the import has finished, updating the bar and text.
(function () {
  const section = document.querySelector("[data-progress-url]");
  if (!section || section.dataset.finished === "1") return;
  const bar = document.getElementById("import-progress");
  const text = document.getElementById("import-progress-text");
  const status = document.getElementById("import-status");
  async function poll() {
    try {
      const response = await fetch(section.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        text.textContent = data.rows_imported + " of " + data.rows_to_import + " imported.";
        status.textContent = data.status_label;
        if (data.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The next poll tries again.
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1000);
})();
