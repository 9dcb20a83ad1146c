/* Body chart, part 4: the controls around the drawing: view tabs, zoom buttons, brush
   swatch, undo and clear, adding a region by name, the ranked rows, the initial drawing. */
(function () {
  "use strict";
  var C = window.FiliformChart;
  if (!C) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var chart = $("chart"), matches = $("matches"), brush = $("intensity");
  var palette = JSON.parse(chart.dataset.palette || "[]");
  var pinned = null;

  function showBrush() {
    $("intensity-out").textContent = brush.value;
    $("swatch").style.background = palette[parseInt(brush.value, 10)] || "#fff";
  }
  brush.addEventListener("input", showBrush);

  var tabs = Array.prototype.slice.call(document.querySelectorAll('.sheet-tabs [role="tab"]'));
  function select(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) { tab.focus(); }
    C.current();
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { select(tab, false); });
    tab.addEventListener("keydown", function (ev) {
      var j = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1}[ev.key];
      if (j === undefined) { return; }
      ev.preventDefault();
      select(tabs[(j + tabs.length) % tabs.length], true);
    });
  });
  $("zoom-in").addEventListener("click", function () { C.current().view.zoomBy(1.6); });
  $("zoom-out").addEventListener("click", function () { C.current().view.zoomBy(1 / 1.6); });
  $("zoom-reset").addEventListener("click", function () { C.current().view.reset(); });
  $("undo").addEventListener("click", function () { C.undo(); });
  document.addEventListener("keydown", function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z") { ev.preventDefault(); C.undo(); }
  });
  $("clear-chart").addEventListener("click", function () {
    C.snapshot();
    Array.from(C.painted.keys()).forEach(function (id) {
      Object.keys(C.sheets).forEach(function (k) { if (C.sheets[k].raster) { C.sheets[k].raster.clearRegion(id); } });
      C.painted.delete(id);
    });
    Object.keys(C.names).forEach(function (id) {
      document.querySelectorAll('path.region[data-region="' + CSS.escape(id) + '"].painted').forEach(function (c) {
        c.classList.remove("painted"); c.setAttribute("fill", "#f6efe7"); c.setAttribute("fill-opacity", "1");
        c.setAttribute("aria-pressed", "false"); c.setAttribute("aria-label", c.dataset.name);
      });
    });
    document.querySelectorAll("g path.mark").forEach(function (m) { m.remove(); });
    C.highlight(null); pinned = null; C.changed("Chart cleared");
  });

  var input = $("region-name"), error = $("region-name-error");
  input.addEventListener("input", function () { error.textContent = ""; input.removeAttribute("aria-invalid"); });
  $("add-region").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var want = input.value.trim().toLowerCase();
    var opt = Array.from(document.querySelectorAll("#region-list option")).find(function (o) {
      return o.value.toLowerCase() === want || o.dataset.id === want;
    });
    if (!opt) {
      error.textContent = want ? "No region is called '" + input.value.trim() + "': pick one from the list." : "Type a region name.";
      input.setAttribute("aria-invalid", "true");
      return;
    }
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    C.snapshot();
    C.paintWhole(opt.dataset.id);
    input.value = "";
    C.changed("Painted " + opt.value);
  });

  matches.addEventListener("mouseover", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (row) { C.highlight(row); }
  });
  matches.addEventListener("mouseleave", function () { C.highlight(pinned); });
  matches.addEventListener("focusin", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (row) { C.highlight(row); }
  });
  matches.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (!row || ev.target.tagName === "INPUT" || ev.target.tagName === "LABEL") { return; }
    pinned = pinned === row ? null : row;
    C.highlight(pinned);
  });
  matches.addEventListener("keydown", function (ev) {
    var row = ev.target.classList && ev.target.classList.contains("match") ? ev.target : null;
    if (!row) { return; }
    if (ev.key === " " || ev.key === "Enter") {
      ev.preventDefault();
      var box = row.querySelector('input[name="target"]');
      box.checked = !box.checked;
    } else if (ev.key === "ArrowDown" && row.nextElementSibling) {
      ev.preventDefault(); row.nextElementSibling.focus();
    } else if (ev.key === "ArrowUp" && row.previousElementSibling) {
      ev.preventDefault(); row.previousElementSibling.focus();
    }
  });
  chart.addEventListener("matches-updated", function () { pinned = null; });
  $("save-drawing").addEventListener("submit", function (ev) {
    $("regions-json").value = JSON.stringify(C.items());
    if (C.painted.size === 0) {
      ev.preventDefault();
      matches.insertAdjacentHTML("afterbegin", '<p class="alert error" role="alert">Paint at least one region first.</p>');
    }
  });

  showBrush();
  C.current();
  try {
    var initial = JSON.parse(chart.dataset.initial || "[]");
    initial.forEach(function (r) {
      if (!C.names[r.region]) { return; }
      C.painted.set(r.region, {intensity: r.intensity, kind: r.kind || "ache", depth: r.depth || null,
                               coverage: r.coverage || 1, full: !r.coverage || r.coverage >= 1});
    });
    if (initial.length) {
      initial.forEach(function (r) { if (C.names[r.region]) { C.redraw(r.region); } });
      C.changed();
    }
  } catch (e) { /* a bad initial drawing leaves the chart empty */ }
}());
