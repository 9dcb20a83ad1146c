/* Session form: needle cards (add, remove, reorder, renumber), the depth hint beside each
   depth, lead-pair settings shown for the pairs in use, and one save per form.
   The page works without this script (fixed cards; blank ones are skipped). */
(function () {
  "use strict";
  var form = document.getElementById("session-form");
  var list = document.getElementById("needles");
  if (!form || !list) { return; }
  var guides = {};
  try { guides = JSON.parse(form.getAttribute("data-guides") || "{}"); } catch (e) { guides = {}; }
  var template = document.getElementById("needle-template");

  function cards() { return Array.prototype.slice.call(list.querySelectorAll("li.needle-card")); }

  function field(card, name) { return card.querySelector('[name$="-' + name + '"]'); }

  function sideOf(card) {
    var checked = card.querySelector('input[type=radio]:checked');
    return checked ? checked.value : "";
  }

  function guideOf(card) {
    var target = field(card, "target").value;
    return guides[target + ":" + sideOf(card)] || guides[target] || null;
  }

  function updateHint(card) {
    var hint = card.querySelector(".hint");
    var g = guideOf(card);
    if (!hint) { return; }
    if (!g) { hint.textContent = ""; hint.classList.remove("over"); return; }
    var text = (g.source === "plan" ? "plan " : "usual ") + g.range[0] + "–" + g.range[1] + " mm";
    if (g.cap !== null && g.cap !== undefined) { text += " · safe cap " + g.cap + " mm"; }
    var depth = parseFloat(field(card, "depth").value);
    var over = !isNaN(depth) && (depth > g.range[1] || (g.cap !== null && g.cap !== undefined && depth > g.cap));
    hint.textContent = over ? text + " – deeper than this: a reason will be needed, or it is refused" : text;
    hint.classList.toggle("over", over);
  }

  function fill(card, target, side, technique) {
    field(card, "target").value = target;
    if (side) {
      var radio = card.querySelector('input[type=radio][value="' + side + '"]');
      if (radio) { radio.checked = true; }
    }
    var g = guides[target + ":" + side] || guides[target];
    if (g) {
      field(card, "length").value = g.length;
      field(card, "gauge").value = g.gauge;
      if (!field(card, "depth").value) { field(card, "depth").value = g.range[0]; }
    }
    if (technique) { field(card, "technique").value = technique; }
  }

  function renumber() {
    cards().forEach(function (card, i) {
      card.setAttribute("data-index", String(i));
      card.querySelector(".num").textContent = String(i + 1);
      card.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/^ins-\d+-/, "ins-" + i + "-");
      });
      card.querySelectorAll("button.tool").forEach(function (b) {
        b.setAttribute("aria-label", b.getAttribute("aria-label").replace(/\d+$/, String(i + 1)));
      });
    });
    showPairs();
  }

  function showPairs() {
    var used = {};
    var electrical = false;
    cards().forEach(function (card) {
      var tech = field(card, "technique").value;
      var isElectrical = tech === "electrical_dn" || tech === "pens" || tech === "percutaneous_electrolysis";
      electrical = electrical || isElectrical;
      card.querySelector("label.pair").hidden = !isElectrical;
      var pair = field(card, "pair").value;
      if (isElectrical && pair) { used[pair] = true; }
    });
    var section = document.getElementById("pairs");
    if (section) { section.hidden = !electrical; }
    document.querySelectorAll("fieldset.pair-settings").forEach(function (fs) {
      fs.hidden = !used[fs.getAttribute("data-pair")];
    });
  }

  function appendCard(target, side, technique) {
    var fresh = template.content.firstElementChild.cloneNode(true);
    list.appendChild(fresh);
    renumber();
    if (target) { fill(fresh, target, side, technique); }
    updateHint(fresh);
    return fresh;
  }

  function addCard(target, side, technique) {  // the clinician's own "Add needle": go to it
    var fresh = appendCard(target, side, technique);
    field(fresh, "target").focus();
    return fresh;
  }

  list.addEventListener("click", function (ev) {
    var button = ev.target.closest("button.tool");
    if (!button) { return; }
    var card = button.closest("li.needle-card");
    if (button.classList.contains("remove")) {
      card.remove();
      if (!cards().length) { addCard(); }
    } else if (button.classList.contains("move-up") && card.previousElementSibling) {
      list.insertBefore(card, card.previousElementSibling);
    } else if (button.classList.contains("move-down") && card.nextElementSibling) {
      list.insertBefore(card.nextElementSibling, card);
    }
    renumber();
    button.focus();
  });
  list.addEventListener("change", function (ev) {
    var card = ev.target.closest("li.needle-card");
    if (!card) { return; }
    if (ev.target.matches('[name$="-target"]')) { fill(card, ev.target.value, sideOf(card), null); }
    updateHint(card);
    showPairs();
  });
  list.addEventListener("input", function (ev) {
    var card = ev.target.closest("li.needle-card");
    if (card && ev.target.matches('[name$="-depth"]')) { updateHint(card); }
  });
  form.addEventListener("draft:restore", function (ev) {  // a saved draft: as many cards as it holds
    var most = -1;
    Object.keys(ev.detail.fields).forEach(function (name) {
      var m = /^ins-(\d+)-/.exec(name);
      if (m) { most = Math.max(most, parseInt(m[1], 10)); }
    });
    while (cards().length <= most) { appendCard(); }  // no focus: the page stays on the draft's note
  });
  document.getElementById("add-needle").addEventListener("click", function () { addCard(); });
  document.querySelectorAll("button.chip-add").forEach(function (chip) {
    chip.addEventListener("click", function () {
      var empty = cards().filter(function (c) { return !field(c, "target").value; })[0];
      var card = empty || addCard();
      fill(card, chip.getAttribute("data-target"), chip.getAttribute("data-side"), chip.getAttribute("data-technique"));
      updateHint(card);
    });
  });
  form.addEventListener("submit", function (ev) {
    if (form.getAttribute("data-sent") === "1") { ev.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    var save = document.getElementById("save");
    if (save) { save.setAttribute("aria-busy", "true"); save.textContent = "Saving…"; }
  });
  window.addEventListener("pageshow", function () {  // back to the form: it may be sent again
    form.removeAttribute("data-sent");
    var save = document.getElementById("save");
    if (save && save.getAttribute("aria-busy")) { save.removeAttribute("aria-busy"); save.textContent = save.getAttribute("data-label"); }
  });
  var saveButton = document.getElementById("save");
  if (saveButton) { saveButton.setAttribute("data-label", saveButton.textContent); }
  cards().forEach(updateHint);
  showPairs();
  form.setAttribute("data-ready", "1");  // the buttons work from now on (tests wait for this)
}());
