/* Small page helpers (no inline scripts: the CSP forbids them). */
(function () {
  "use strict";
  // Keep focus visible where the server put an error: move it to the alert.
  var alert = document.querySelector("main .alert.error");
  if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
}());
