/* Session form: add needle and circuit rows by cloning the last one. */
(function () {
  "use strict";
  function adder(tableId, buttonId, rowClass, prefix) {
    var table = document.getElementById(tableId);
    var button = document.getElementById(buttonId);
    if (!table || !button) { return; }
    var body = table.querySelector("tbody");
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr." + rowClass);
      var copy = rows[rows.length - 1].cloneNode(true);
      var n = rows.length;
      var pattern = new RegExp("^" + prefix + "-\\d+-");
      copy.querySelectorAll("input, select").forEach(function (el) {
        el.name = el.name.replace(pattern, prefix + "-" + n + "-");
        if (el.tagName === "INPUT" && (prefix === "circ" || el.name.endsWith("-target"))) { el.value = ""; }
      });
      copy.querySelectorAll(".muted").forEach(function (el) { el.remove(); });
      body.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }
  adder("needles", "add-needle", "needle-row", "ins");
  adder("circuits", "add-circuit", "circuit-row", "circ");
}());
