// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so keyboard and screen-reader users hear it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  // Confirm buttons that need a second thought (data-confirm="message").
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
