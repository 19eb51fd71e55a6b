// A subject access pack being compiled, or a retention batch being anonymised: reload the
// page every few seconds until it is done. The work runs in the worker, so leaving the page does not stop it.
(function () {
  "use strict";
  var status = document.querySelector("[data-pack-polling]");
  if (!status) {
    return;
  }
  window.setTimeout(function () {
    window.location.reload();
  }, 3000);
})();
