/* Body chart, part 1: which regions a brush stroke covers, and how much of each.
   Each sheet's cells are rasterised once (one drawing unit = one pixel, exact scanline
   fill, no anti-aliasing) into a map of cell numbers; a brush stamp marks the pixels it
   covers, so a region's coverage is its painted pixels over its area. Vanilla JS. */
(function () {
  "use strict";

  function parsePath(d) {
    var nums = d.match(/-?\d+(?:\.\d+)?/g) || [];
    var pts = [];
    for (var i = 0; i + 1 < nums.length; i += 2) { pts.push([parseFloat(nums[i]), parseFloat(nums[i + 1])]); }
    return pts;
  }

  function fillPolygon(ids, w, h, pts, value) {
    var minY = Infinity, maxY = -Infinity, i;
    for (i = 0; i < pts.length; i++) { minY = Math.min(minY, pts[i][1]); maxY = Math.max(maxY, pts[i][1]); }
    var y0 = Math.max(0, Math.ceil(minY - 0.5)), y1 = Math.min(h - 1, Math.floor(maxY - 0.5));
    var count = 0;
    for (var y = y0; y <= y1; y++) {
      var cy = y + 0.5, xs = [];
      for (i = 0; i < pts.length; i++) {
        var a = pts[i], b = pts[(i + 1) % pts.length];
        if ((a[1] <= cy && b[1] > cy) || (b[1] <= cy && a[1] > cy)) {
          xs.push(a[0] + (cy - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
        }
      }
      xs.sort(function (p, q) { return p - q; });
      for (var k = 0; k + 1 < xs.length; k += 2) {
        var x0 = Math.max(0, Math.ceil(xs[k] - 0.5)), x1 = Math.min(w - 1, Math.floor(xs[k + 1] - 0.5));
        for (var x = x0; x <= x1; x++) { ids[y * w + x] = value; count++; }
      }
    }
    return count;
  }

  function build(svg) {
    var vb = svg.viewBox.baseVal;
    var w = Math.ceil(vb.width), h = Math.ceil(vb.height);
    var cells = Array.prototype.slice.call(svg.querySelectorAll("path.region"));
    var ids = new Uint16Array(w * h);
    var region = [null], area = [0];
    cells.forEach(function (cell, i) {
      cell.dataset.cell = String(i + 1);
      region.push(cell.dataset.region);
      area.push(fillPolygon(ids, w, h, parsePath(cell.getAttribute("d")), i + 1));
    });
    var painted = new Uint8Array(w * h);
    var count = new Int32Array(cells.length + 1);
    var regionArea = {};
    for (var c = 1; c < region.length; c++) { regionArea[region[c]] = (regionArea[region[c]] || 0) + area[c]; }

    function stamp(x, y, r, erase) {
      var touched = {};
      var x0 = Math.max(0, Math.floor(x - r)), x1 = Math.min(w - 1, Math.ceil(x + r));
      var y0 = Math.max(0, Math.floor(y - r)), y1 = Math.min(h - 1, Math.ceil(y + r));
      for (var py = y0; py <= y1; py++) {
        for (var px = x0; px <= x1; px++) {
          var dx = px + 0.5 - x, dy = py + 0.5 - y;
          if (dx * dx + dy * dy > r * r) { continue; }
          var p = py * w + px, id = ids[p];
          if (!id || painted[p] === (erase ? 0 : 1)) { continue; }
          painted[p] = erase ? 0 : 1;
          count[id] += erase ? -1 : 1;
          touched[region[id]] = true;
        }
      }
      return Object.keys(touched);
    }

    function coverage(rid) {
      var sum = 0;
      for (var c = 1; c < region.length; c++) { if (region[c] === rid) { sum += count[c]; } }
      return regionArea[rid] ? sum / regionArea[rid] : 0;
    }

    function clearRegion(rid) {
      for (var p = 0; p < ids.length; p++) {
        if (painted[p] && region[ids[p]] === rid) { painted[p] = 0; count[ids[p]]--; }
      }
    }

    function snapshot() { return {painted: painted.slice(), count: count.slice()}; }
    function restore(s) { painted.set(s.painted); count.set(s.count); }

    return {stamp: stamp, coverage: coverage, clearRegion: clearRegion, snapshot: snapshot, restore: restore,
            regionAt: function (x, y) {
              var px = Math.floor(x), py = Math.floor(y);
              if (px < 0 || py < 0 || px >= w || py >= h) { return null; }
              return region[ids[py * w + px]] || null;
            }};
  }

  window.FiliformRaster = {build: build};
}());
