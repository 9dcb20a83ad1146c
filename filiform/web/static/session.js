/* Session form: add needle rows by cloning the last one; show electrical fields only for EDN. */
(function () {
  "use strict";
  var table = document.getElementById("needles");
  if (!table) { return; }
  var body = table.querySelector("tbody");

  function syncElectrical(row) {
    var tech = row.querySelector("select.technique");
    var cell = row.querySelector("td.electrical");
    var on = tech && tech.value === "electrical_dn";
    cell.querySelectorAll("input").forEach(function (i) { i.disabled = !on; i.required = on; });
    cell.classList.toggle("off", !on);
  }

  body.addEventListener("change", function (ev) {
    if (ev.target.classList.contains("technique")) { syncElectrical(ev.target.closest("tr")); }
  });
  document.getElementById("add-needle").addEventListener("click", function () {
    var rows = body.querySelectorAll("tr.needle-row");
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var n = rows.length;
    copy.querySelectorAll("input, select").forEach(function (el) {
      el.name = el.name.replace(/^ins-\d+-/, "ins-" + n + "-");
      if (el.name.endsWith("-target")) { el.value = ""; }
    });
    copy.querySelectorAll(".muted").forEach(function (el) { el.remove(); });
    body.appendChild(copy);
    syncElectrical(copy);
    copy.querySelector("input").focus();
  });
  body.querySelectorAll("tr.needle-row").forEach(syncElectrical);
}());
