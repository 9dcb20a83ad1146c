/* Body chart, part 3: the drawing. Paint and erase with the brush or the keyboard, with a
   symptom kind (pain-drawing symbol), depth and intensity; undo; the painted list; live
   ranking from /chart/match; hatching of a ranked row's pattern. No inline handlers (the
   CSP forbids inline scripts). */
(function () {
  "use strict";
  var chart = document.getElementById("chart");
  if (!chart || !window.FiliformRaster || !window.FiliformView) { return; }
  var palette = JSON.parse(chart.dataset.palette || "[]");
  var painted = new Map();  // region id -> {intensity, kind, depth, coverage, full}
  var history = [];
  var $ = function (id) { return document.getElementById(id); };
  var list = $("painted"), matches = $("matches"), hidden = $("regions-json"), status = $("chart-status");
  var brush = $("intensity"), undoButton = $("undo");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var sheets = {}, timer = null, names = {};

  function radio(name) { var el = document.querySelector('input[name="' + name + '"]:checked'); return el ? el.value : ""; }
  function level() { return parseInt(brush.value, 10); }
  function nameOf(id) { return names[id] || id; }

  Array.prototype.forEach.call(chart.querySelectorAll(".sheet"), function (el) {
    var svg = el.querySelector("svg");
    var sheet = {el: el, svg: svg, prefix: svg.dataset.prefix, raster: null, view: null, overlay: null};
    sheet.overlay = document.createElementNS("http://www.w3.org/2000/svg", "g");
    sheet.overlay.setAttribute("pointer-events", "none");
    sheet.overlay.setAttribute("class", "pattern-overlay");
    sheet.marks = document.createElementNS("http://www.w3.org/2000/svg", "g");
    sheet.marks.setAttribute("pointer-events", "none");
    svg.appendChild(sheet.marks);
    svg.appendChild(sheet.overlay);
    svg.querySelectorAll("path.region").forEach(function (c) { names[c.dataset.region] = c.dataset.name; });
    sheets[el.dataset.sheet] = sheet;
  });

  function ready(sheet) {
    if (!sheet.raster) {
      sheet.raster = window.FiliformRaster.build(sheet.svg);
      sheet.view = window.FiliformView.attach(sheet.svg, handlers(sheet));
    }
    return sheet;
  }
  function current() {
    var el = chart.querySelector(".sheet:not([hidden])");
    return ready(sheets[el.dataset.sheet]);
  }

  function snapshot() {
    var rasters = {};
    Object.keys(sheets).forEach(function (k) { if (sheets[k].raster) { rasters[k] = sheets[k].raster.snapshot(); } });
    history.push({painted: new Map(Array.from(painted, function (e) { return [e[0], Object.assign({}, e[1])]; })), rasters: rasters});
    if (history.length > 100) { history.shift(); }
    undoButton.disabled = false;
  }
  function undo() {
    var last = history.pop();
    if (!last) { return; }
    painted = last.painted;
    Object.keys(last.rasters).forEach(function (k) { sheets[k].raster.restore(last.rasters[k]); });
    undoButton.disabled = history.length === 0;
    redrawAll(); changed("Undone");
  }

  function coverageOf(id) {
    var best = 0;
    Object.keys(sheets).forEach(function (k) { if (sheets[k].raster) { best = Math.max(best, sheets[k].raster.coverage(id)); } });
    return best;
  }

  function redraw(id) {
    var p = painted.get(id);
    Object.keys(sheets).forEach(function (k) {
      var sheet = sheets[k];
      sheet.svg.querySelectorAll('path.region[data-region="' + CSS.escape(id) + '"]').forEach(function (cell) {
        cell.setAttribute("fill", p ? palette[p.intensity] : "#f6efe7");
        cell.setAttribute("fill-opacity", p ? (0.35 + 0.65 * p.coverage).toFixed(2) : "1");
        cell.classList.toggle("painted", !!p);
        cell.setAttribute("aria-pressed", p ? "true" : "false");
        cell.setAttribute("aria-label", cell.dataset.name + (p ? ": " + describe(p) : ""));
      });
      sheet.marks.querySelectorAll('[data-region="' + CSS.escape(id) + '"]').forEach(function (m) { m.remove(); });
      if (!p) { return; }
      sheet.svg.querySelectorAll('path.region[data-region="' + CSS.escape(id) + '"]').forEach(function (cell) {
        var mark = document.createElementNS("http://www.w3.org/2000/svg", "path");
        mark.setAttribute("d", cell.getAttribute("d"));
        mark.setAttribute("fill", "url(#" + sheet.prefix + "sym-" + p.kind + ")");
        mark.setAttribute("class", "mark" + (p.depth === "deep" ? " deep" : ""));
        mark.dataset.region = id;
        sheet.marks.appendChild(mark);
      });
    });
  }
  function redrawAll() {
    Object.keys(names).forEach(function (id) { redraw(id); });
  }
  function describe(p) {
    var kind = p.kind.replace(/_/g, " ");
    return p.intensity + "/10, " + kind + (p.depth ? ", " + p.depth : "") +
      (p.coverage < 0.99 ? ", " + Math.round(100 * p.coverage) + "% covered" : "");
  }

  function setRegion(id, p) {
    if (p) { painted.set(id, p); } else { painted.delete(id); }
    redraw(id);
  }
  function paintWhole(id) {
    setRegion(id, {intensity: level(), kind: radio("kind") || "ache", depth: radio("depth") || null, coverage: 1, full: true});
  }
  function eraseWhole(id) {
    Object.keys(sheets).forEach(function (k) { if (sheets[k].raster) { sheets[k].raster.clearRegion(id); } });
    setRegion(id, null);
  }

  function handlers(sheet) {
    var erasing = false;
    return {
      tool: function () { return radio("tool"); },
      stroke: function (phase, x, y) {
        if (phase === "start") { snapshot(); erasing = radio("tool") === "erase"; }
        if (phase === "cancel") { undo(); return; }
        if (phase === "end") { changed(); return; }
        var r = parseFloat(radio("size") || "22") * (sheet.svg.viewBox.baseVal.width / sheet.svg.getBoundingClientRect().width);
        sheet.raster.stamp(x, y, Math.max(r / 2, 0.6), erasing).forEach(function (id) {
          var cov = coverageOf(id), old = painted.get(id);
          if (erasing) {
            if (old && old.full) { old.full = false; }
            if (cov <= 0) { setRegion(id, null); } else if (old) { old.coverage = cov; redraw(id); }
          } else {
            setRegion(id, {intensity: level(), kind: radio("kind") || "ache", depth: radio("depth") || null,
                           coverage: old && old.full ? 1 : Math.max(cov, 0.02), full: !!(old && old.full)});
          }
        });
      },
      activate: function (cell) { snapshot(); paintWhole(cell.dataset.region); changed("Painted " + cell.dataset.name); },
      erase: function (cell) { snapshot(); eraseWhole(cell.dataset.region); changed("Erased " + cell.dataset.name); },
    };
  }

  function items() {
    return Array.from(painted.keys()).sort().map(function (id) {
      var p = painted.get(id), item = {region: id, intensity: p.intensity};
      if (p.kind !== "ache") { item.kind = p.kind; }
      if (p.depth) { item.depth = p.depth; }
      if (p.coverage < 0.995) { item.coverage = Math.max(0.01, Math.round(p.coverage * 100) / 100); }
      return item;
    });
  }
  function renderList() {
    list.textContent = "";
    items().forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = nameOf(item.region) + ": " + describe(painted.get(item.region)) + " ";
      var b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.textContent = "remove";
      b.setAttribute("aria-label", "Remove " + nameOf(item.region));
      b.addEventListener("click", function () { snapshot(); eraseWhole(item.region); changed(); });
      li.appendChild(b);
      list.appendChild(li);
    });
    hidden.value = JSON.stringify(items());
  }
  function changed(message) {
    renderList();
    if (message) { status.textContent = message; }
    clearTimeout(timer);
    timer = setTimeout(fetchMatches, 180);
  }

  function fetchMatches() {
    matches.setAttribute("aria-busy", "true");
    var ticked = Array.from(matches.querySelectorAll('input[name="target"]:checked')).map(function (c) { return c.value; });
    fetch("/chart/match", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({regions: items()})
    }).then(function (r) { return r.text(); }).then(function (html) {
      matches.innerHTML = html;
      ticked.forEach(function (v) {
        var c = matches.querySelector('input[name="target"][value="' + CSS.escape(v) + '"]');
        if (c) { c.checked = true; }
      });
      matches.setAttribute("aria-busy", "false");
      chart.dispatchEvent(new CustomEvent("matches-updated"));
    });
  }

  function hatch(ids, pattern) {
    Object.keys(sheets).forEach(function (k) {
      var sheet = sheets[k];
      ids.forEach(function (id) {
        sheet.svg.querySelectorAll('path.region[data-region="' + CSS.escape(id) + '"]').forEach(function (cell) {
          var p = document.createElementNS("http://www.w3.org/2000/svg", "path");
          p.setAttribute("d", cell.getAttribute("d"));
          p.setAttribute("fill", "url(#" + sheet.prefix + pattern + ")");
          p.setAttribute("stroke", "#1f4e9c");
          p.setAttribute("stroke-width", pattern === "hatch-essential" ? "1.2" : "0.6");
          p.setAttribute("class", "hl hl-" + pattern);
          p.dataset.region = id;
          sheet.overlay.appendChild(p);
        });
      });
    });
  }
  function highlight(row) {
    Object.keys(sheets).forEach(function (k) { sheets[k].overlay.textContent = ""; });
    matches.querySelectorAll(".match.active").forEach(function (r) { r.classList.remove("active"); });
    if (!row) { return; }
    row.classList.add("active");
    hatch((row.dataset.spillover || "").split(" ").filter(Boolean), "hatch-spillover");
    hatch((row.dataset.essential || "").split(" ").filter(Boolean), "hatch-essential");
  }

  window.FiliformChart = {sheets: sheets, current: current, painted: painted, items: items, ready: ready,
                          paintWhole: paintWhole, snapshot: snapshot, changed: changed, highlight: highlight,
                          undo: undo, names: names, redraw: redraw};
}());
