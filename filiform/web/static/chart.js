/* Body chart: paint atlas regions with an intensity, fetch ranked trigger points, hatch a
   pattern on hover/focus. Vanilla JS, no inline handlers (the CSP forbids inline scripts). */
(function () {
  "use strict";
  var chart = document.getElementById("chart");
  if (!chart) { return; }
  var svg = chart.querySelector("svg");
  var palette = JSON.parse(chart.dataset.palette || "[]");
  var painted = new Map();
  var brush = document.getElementById("intensity");
  var brushOut = document.getElementById("intensity-out");
  var swatch = document.getElementById("swatch");
  var list = document.getElementById("painted");
  var matches = document.getElementById("matches");
  var hidden = document.getElementById("regions-json");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var dragging = false;
  var timer = null;
  var pinned = null;
  var overlay = document.createElementNS("http://www.w3.org/2000/svg", "g");
  overlay.setAttribute("id", "pattern-overlay");
  overlay.setAttribute("pointer-events", "none");
  svg.appendChild(overlay);

  function regionEl(id) { return svg.querySelector('path.region[id="' + CSS.escape(id) + '"]'); }
  function level() { return parseInt(brush.value, 10); }
  function showBrush() {
    brushOut.textContent = brush.value;
    swatch.style.background = palette[level()] || "#fff";
  }

  function setRegion(id, intensity) {
    var el = regionEl(id);
    if (!el) { return; }
    if (intensity > 0) { painted.set(id, intensity); } else { painted.delete(id); }
    el.setAttribute("fill", palette[intensity] || palette[0]);
    el.classList.toggle("painted", intensity > 0);
  }

  function renderList() {
    list.textContent = "";
    var ids = Array.from(painted.keys()).sort();
    ids.forEach(function (id) {
      var li = document.createElement("li");
      var el = regionEl(id);
      li.textContent = (el ? el.dataset.name : id) + ": " + painted.get(id) + "/10 ";
      var b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.textContent = "remove";
      b.setAttribute("aria-label", "Remove " + (el ? el.dataset.name : id));
      b.addEventListener("click", function () { setRegion(id, 0); changed(); });
      li.appendChild(b);
      list.appendChild(li);
    });
    hidden.value = JSON.stringify(ids.map(function (id) { return {region: id, intensity: painted.get(id)}; }));
  }

  function changed() {
    renderList();
    clearTimeout(timer);
    timer = setTimeout(fetchMatches, 180);
  }

  function fetchMatches() {
    matches.setAttribute("aria-busy", "true");
    var ticked = Array.from(matches.querySelectorAll('input[name="target"]:checked')).map(function (c) { return c.value; });
    fetch("/chart/match", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: hidden.value === "" ? '{"regions": []}' : '{"regions": ' + hidden.value + "}"
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
    ids.forEach(function (id) {
      var el = regionEl(id);
      if (!el) { return; }
      var p = document.createElementNS("http://www.w3.org/2000/svg", "path");
      p.setAttribute("d", el.getAttribute("d"));
      p.setAttribute("fill", "url(#" + pattern + ")");
      p.setAttribute("stroke", "#1f4e9c");
      p.setAttribute("stroke-width", pattern === "hatch-essential" ? "1.2" : "0.6");
      p.setAttribute("class", "hl hl-" + pattern);
      p.dataset.region = id;
      overlay.appendChild(p);
    });
  }

  function highlight(row) {
    overlay.textContent = "";
    matches.querySelectorAll(".match.active").forEach(function (r) { r.classList.remove("active"); });
    if (!row) { return; }
    row.classList.add("active");
    hatch((row.dataset.spillover || "").split(" ").filter(Boolean), "hatch-spillover");
    hatch((row.dataset.essential || "").split(" ").filter(Boolean), "hatch-essential");
  }

  function paintFromEvent(ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains("region")) {
      if ((painted.get(t.id) || 0) !== level()) { setRegion(t.id, level()); renderList(); }
    }
  }

  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) { return; }
    dragging = true;
    ev.preventDefault();
    paintFromEvent(ev);
  });
  svg.addEventListener("pointerover", function (ev) { if (dragging) { paintFromEvent(ev); } });
  svg.addEventListener("pointermove", function (ev) {
    if (!dragging || ev.pointerType === "mouse") { return; }
    var el = document.elementFromPoint(ev.clientX, ev.clientY);
    if (el) { paintFromEvent({target: el}); }
  });
  document.addEventListener("pointerup", function () { if (dragging) { dragging = false; changed(); } });
  svg.style.touchAction = "none";

  brush.addEventListener("input", showBrush);
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") { return; }
    if (/^[0-9]$/.test(ev.key)) {
      brush.value = ev.key === "9" ? "10" : ev.key;
      showBrush();
    }
  });
  document.getElementById("clear-chart").addEventListener("click", function () {
    Array.from(painted.keys()).forEach(function (id) { setRegion(id, 0); });
    highlight(null); pinned = null; changed();
  });

  document.getElementById("add-region").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("region-name");
    var want = input.value.trim().toLowerCase();
    var opt = Array.from(document.querySelectorAll("#region-list option")).find(function (o) {
      return o.value.toLowerCase() === want || o.dataset.id === want;
    });
    if (!opt) { input.setCustomValidity("Pick a region from the list"); input.reportValidity(); return; }
    input.setCustomValidity("");
    setRegion(opt.dataset.id, level() || 5);
    input.value = "";
    changed();
  });

  matches.addEventListener("mouseover", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (row) { highlight(row); }
  });
  matches.addEventListener("mouseleave", function () { highlight(pinned); });
  matches.addEventListener("focusin", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (row) { highlight(row); }
  });
  matches.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest(".match");
    if (!row || ev.target.tagName === "INPUT") { return; }
    pinned = pinned === row ? null : row;
    highlight(pinned);
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
  document.getElementById("save-drawing").addEventListener("submit", function (ev) {
    renderList();
    if (painted.size === 0) {
      ev.preventDefault();
      matches.insertAdjacentHTML("afterbegin", '<p class="alert error" role="alert">Paint at least one region first.</p>');
    }
  });

  showBrush();
  try {
    JSON.parse(chart.dataset.initial || "[]").forEach(function (r) { setRegion(r.region, r.intensity); });
  } catch (e) { /* a bad initial drawing leaves the chart empty */ }
  if (painted.size) { changed(); }
}());
