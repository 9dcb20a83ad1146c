/* Body chart, part 2: one sheet's zoom, pan, pointer strokes and keyboard navigation.
   One finger, a pen or the mouse paints; two fingers pinch-zoom and move; the wheel zooms
   at the cursor; the Move tool or the middle button pans. Cells are reached by keyboard
   with a roving tab stop: arrows move to the nearest region in that direction. */
(function () {
  "use strict";
  var MAX_ZOOM = 16;

  function attach(svg, on) {
    var base = svg.viewBox.baseVal;
    var full = {x: base.x, y: base.y, w: base.width, h: base.height};
    var view = {x: full.x, y: full.y, w: full.w, h: full.h};
    var pointers = new Map(), pinch = null, pan = null, stroking = null;
    var cells = Array.prototype.slice.call(svg.querySelectorAll("path.region"));
    var centres = cells.map(function (c) { var b = c.getBBox(); return [b.x + b.width / 2, b.y + b.height / 2]; });
    var focusIndex = 0;

    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(2); }).join(" "));
      if (on.viewChanged) { on.viewChanged(view.w / full.w); }
    }
    function clamp() {
      view.w = Math.min(full.w, Math.max(full.w / MAX_ZOOM, view.w));
      view.h = view.w * full.h / full.w;
      view.x = Math.min(full.x + full.w - view.w * 0.25, Math.max(full.x - view.w * 0.75, view.x));
      view.y = Math.min(full.y + full.h - view.h * 0.25, Math.max(full.y - view.h * 0.75, view.y));
    }
    function metrics(v) {
      var r = svg.getBoundingClientRect();
      var upp = Math.max(v.w / r.width, v.h / r.height);
      return {r: r, upp: upp, ox: (r.width * upp - v.w) / 2, oy: (r.height * upp - v.h) / 2};
    }
    function toUnits(clientX, clientY, v) {
      var m = metrics(v || view);
      return [(v || view).x - m.ox + (clientX - m.r.left) * m.upp, (v || view).y - m.oy + (clientY - m.r.top) * m.upp];
    }
    function zoomAt(factor, ux, uy) {
      var nw = Math.min(full.w, Math.max(full.w / MAX_ZOOM, view.w / factor));
      var k = nw / view.w;
      view.x = ux - (ux - view.x) * k;
      view.y = uy - (uy - view.y) * k;
      view.w = nw;
      clamp(); apply();
    }
    function zoomBy(factor) { zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2); }
    function reset() { view = {x: full.x, y: full.y, w: full.w, h: full.h}; apply(); }

    function pinchState() {
      var pts = Array.from(pointers.values());
      return {mid: [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2],
              dist: Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]) || 1};
    }
    function endStroke(cancel) {
      if (stroking) { on.stroke(cancel ? "cancel" : "end"); stroking = null; }
    }

    svg.addEventListener("pointerdown", function (ev) {
      if (ev.pointerType === "mouse" && ev.button !== 0 && ev.button !== 1) { return; }
      ev.preventDefault();
      svg.setPointerCapture(ev.pointerId);
      pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
      if (pointers.size === 2) {
        endStroke(true);
        pan = null;
        var s = pinchState();
        pinch = {view: {x: view.x, y: view.y, w: view.w, h: view.h}, dist: s.dist, anchor: toUnits(s.mid[0], s.mid[1])};
        return;
      }
      if (pointers.size > 2) { return; }
      if (on.tool() === "pan" || ev.button === 1) {
        pan = {x: ev.clientX, y: ev.clientY, view: {x: view.x, y: view.y, w: view.w, h: view.h}};
        return;
      }
      var u = toUnits(ev.clientX, ev.clientY);
      stroking = ev.pointerId;
      on.stroke("start", u[0], u[1], ev.pointerType);
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!pointers.has(ev.pointerId)) { return; }
      pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
      if (pinch && pointers.size === 2) {
        var s = pinchState(), m = metrics(pinch.view);
        view.w = pinch.view.w * pinch.dist / s.dist;
        clamp();
        var m2 = metrics(view);
        view.x = pinch.anchor[0] + m2.ox - (s.mid[0] - m.r.left) * m2.upp;
        view.y = pinch.anchor[1] + m2.oy - (s.mid[1] - m.r.top) * m2.upp;
        clamp(); apply();
      } else if (pan) {
        var mp = metrics(pan.view);
        view.x = pan.view.x - (ev.clientX - pan.x) * mp.upp;
        view.y = pan.view.y - (ev.clientY - pan.y) * mp.upp;
        clamp(); apply();
      } else if (stroking === ev.pointerId) {
        var list = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
        (list.length ? list : [ev]).forEach(function (e) {
          var u = toUnits(e.clientX, e.clientY);
          on.stroke("move", u[0], u[1], ev.pointerType);
        });
      }
    });
    function up(ev) {
      if (!pointers.has(ev.pointerId)) { return; }
      pointers.delete(ev.pointerId);
      if (stroking === ev.pointerId) { endStroke(ev.type === "pointercancel"); }
      if (pointers.size < 2) { pinch = null; }
      if (pointers.size === 0) { pan = null; }
    }
    svg.addEventListener("pointerup", up);
    svg.addEventListener("pointercancel", up);
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var u = toUnits(ev.clientX, ev.clientY);
      zoomAt(ev.deltaY < 0 ? 1.25 : 0.8, u[0], u[1]);
    }, {passive: false});

    function focusCell(i) {
      cells[focusIndex].setAttribute("tabindex", "-1");
      focusIndex = i;
      var cell = cells[i];
      cell.setAttribute("tabindex", "0");
      cell.focus({preventScroll: true});
      var c = centres[i];
      if (c[0] < view.x || c[0] > view.x + view.w || c[1] < view.y || c[1] > view.y + view.h) {
        view.x = c[0] - view.w / 2; view.y = c[1] - view.h / 2; clamp(); apply();
      }
    }
    function nearest(dx, dy) {
      var c = centres[focusIndex], best = -1, bestCost = Infinity;
      for (var i = 0; i < centres.length; i++) {
        var vx = centres[i][0] - c[0], vy = centres[i][1] - c[1];
        var along = vx * dx + vy * dy, across = Math.abs(vx * dy - vy * dx);
        if (along <= 1) { continue; }
        var cost = along + 2.5 * across;
        if (cost < bestCost) { bestCost = cost; best = i; }
      }
      return best;
    }
    var KEYS = {ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1]};
    svg.addEventListener("keydown", function (ev) {
      var i = cells.indexOf(ev.target);
      if (i < 0) { return; }
      focusIndex = i;
      if (KEYS[ev.key]) {
        ev.preventDefault();
        var next = nearest(KEYS[ev.key][0], KEYS[ev.key][1]);
        if (next >= 0) { focusCell(next); }
      } else if (ev.key === "Home") { ev.preventDefault(); focusCell(0);
      } else if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); on.activate(ev.target);
      } else if (ev.key === "Delete" || ev.key === "Backspace") { ev.preventDefault(); on.erase(ev.target);
      } else if (ev.key === "+" || ev.key === "=") { ev.preventDefault(); zoomAt(1.5, centres[i][0], centres[i][1]);
      } else if (ev.key === "-") { ev.preventDefault(); zoomBy(1 / 1.5); }
    });
    cells.forEach(function (c, i) { c.setAttribute("tabindex", i === 0 ? "0" : "-1"); });
    svg.style.touchAction = "none";

    return {zoomBy: zoomBy, reset: reset, focusCell: function (rid) {
      var i = cells.findIndex(function (c) { return c.dataset.region === rid; });
      if (i >= 0) { focusCell(i); }
    }};
  }

  window.FiliformView = {attach: attach};
}());
