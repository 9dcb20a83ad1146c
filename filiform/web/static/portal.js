/* Patient pages: language switch, painting the body chart by touch, the signature pad.
   Pointer events cover finger, pen and mouse alike. No inline handlers (CSP). The chart
   part is deliberately small: it paints the same atlas paths as the clinic's chart and
   writes the same [{region, intensity}] list, so a new chart can replace it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  var PALETTE = ["#f4efe9", "#fff3b0", "#ffe08a", "#ffc966", "#ffad4d", "#ff8f3d",
                 "#f86f34", "#e8512e", "#d1352a", "#b31f24", "#8c0f1d"];

  function setupChart() {
    var chart = document.getElementById("p-chart");
    if (!chart) { return; }
    var svg = chart.querySelector("svg");
    var brush = document.getElementById("intensity");
    var out = document.getElementById("intensity-out");
    var hidden = document.getElementById("regions-json");
    var count = document.getElementById("painted-count");
    var painted = new Map();
    var down = false;
    svg.style.touchAction = "none";

    function cells(id) { return svg.querySelectorAll('[data-region="' + CSS.escape(id) + '"]'); }
    function paint(el, level) {
      if (!el || !el.classList || !el.classList.contains("region")) { return; }
      var id = el.getAttribute("data-region");
      if (level > 0) { painted.set(id, level); } else { painted.delete(id); }
      cells(id).forEach(function (cell) { cell.setAttribute("fill", PALETTE[level] || PALETTE[0]); });
      save();
    }
    function save() {
      var list = Array.from(painted.keys()).sort().map(function (id) { return {region: id, intensity: painted.get(id)}; });
      hidden.value = JSON.stringify(list);
      count.textContent = String(list.length);
    }
    function at(event) { return document.elementFromPoint(event.clientX, event.clientY); }
    svg.addEventListener("pointerdown", function (e) { down = true; e.preventDefault(); paint(at(e), parseInt(brush.value, 10)); });
    svg.addEventListener("pointermove", function (e) { if (down) { e.preventDefault(); paint(at(e), parseInt(brush.value, 10)); } });
    window.addEventListener("pointerup", function () { down = false; });
    window.addEventListener("pointercancel", function () { down = false; });
    brush.addEventListener("input", function () { out.textContent = brush.value; });
    document.getElementById("p-clear").addEventListener("click", function () {
      Array.from(painted.keys()).forEach(function (id) { paint(cells(id)[0], 0); });
    });
    JSON.parse(chart.dataset.initial || "[]").forEach(function (r) {
      paint(cells(r.region)[0], r.intensity);
    });
  }

  function setupSignature() {
    var canvas = document.getElementById("p-signature");
    if (!canvas) { return; }
    var hidden = document.getElementById("signature-json");
    var ctx = canvas.getContext("2d");
    var strokes = [];
    var current = null;
    canvas.style.touchAction = "none";
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    function point(e) {
      var box = canvas.getBoundingClientRect();
      var x = (e.clientX - box.left) * canvas.width / box.width;
      var y = (e.clientY - box.top) * canvas.height / box.height;
      return [Math.max(0, Math.min(canvas.width, Math.round(x * 10) / 10)),
              Math.max(0, Math.min(canvas.height, Math.round(y * 10) / 10))];
    }
    canvas.addEventListener("pointerdown", function (e) {
      e.preventDefault();  /* touch pointers stay with the canvas by themselves */
      current = [point(e)]; strokes.push(current);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!current) { return; }
      e.preventDefault();
      var p = point(e), last = current[current.length - 1];
      current.push(p);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      hidden.value = JSON.stringify(strokes);
    });
    function end() { current = null; hidden.value = strokes.length ? JSON.stringify(strokes) : ""; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    document.getElementById("p-sig-clear").addEventListener("click", function () {
      strokes = []; hidden.value = ""; ctx.clearRect(0, 0, canvas.width, canvas.height);
    });
  }

  setupChart();
  setupSignature();
})();
