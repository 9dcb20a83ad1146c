/* Small page helpers (no inline scripts: the CSP forbids them). */
(function () {
  "use strict";
  // Keep focus visible where the server put an error: move it to the alert.
  var alert = document.querySelector("main .alert.error");
  if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }

  // A second click on a form's save button while the first is on its way does nothing
  // (the server also recognises a repeated outcome score; see services/records/outcomes).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    if (form.getAttribute("data-submitting") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-submitting", "1");
    setTimeout(function () { form.removeAttribute("data-submitting"); }, 10000);
  }, true);
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (f) {
      f.removeAttribute("data-submitting");
    });
  });

  // "None of the following" for a group of screening questions: ticking it answers every
  // question of the group still open with its no-risk answer; answering one "yes" unticks it.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-none-of]"), function (box) {
    var group = document.getElementById(box.getAttribute("data-none-of"));
    if (!group) { return; }
    box.addEventListener("change", function () {
      if (!box.checked) { return; }
      Array.prototype.forEach.call(group.querySelectorAll("input[type=radio][data-clear='1']"), function (r) {
        var open = group.querySelector("input[type=radio][name='" + r.name + "'][value='unknown']");
        if (open && open.checked) { r.checked = true; }
      });
      Array.prototype.forEach.call(group.querySelectorAll("select[data-clear-value]"), function (s) {
        if (!s.value || s.value === "unknown") { s.value = s.getAttribute("data-clear-value"); }
      });
    });
    group.addEventListener("change", function (event) {
      var t = event.target;
      if (t === box) { return; }
      var risky = (t.type === "radio" && t.checked && t.getAttribute("data-clear") === "0" && t.value !== "unknown") ||
        (t.tagName === "SELECT" && t.hasAttribute("data-clear-value") && t.value && t.value !== t.getAttribute("data-clear-value") && t.value !== "unknown");
      if (risky) { box.checked = false; }
    });
  });
}());
