/* Drafts of clinical forms, saved on the server as the clinician types (no inline scripts:
   the CSP forbids them).

   Any form with data-draft="<form key>" and data-draft-patient="<patient id>" is wired up:
   its fields are sent (debounced) to PUT /drafts/<patient>/<key>, sealed there at rest; on
   load a saved draft is put back into the fields with a note and a "Discard draft" button.
   Forms whose rows are added by script listen for the "draft:restore" event (detail.fields)
   to add the rows first. If the server says the session ended, the fields are kept in this
   tab (sessionStorage) and put back after signing in again, then saved to the server.
   Public: window.FiliformDrafts.attach(form, key, patientId), .flushAll(stash). */
(function () {
  "use strict";
  var STASH = "filiform-pending-draft";
  var DELAY = 800;
  var forms = [];
  // The page's own deferred scripts (session.js adds the needle cards a draft holds, on
  // "draft:restore") run after this one; a draft must not come back before they have.
  var loaded = false;
  document.addEventListener("DOMContentLoaded", function () { loaded = true; });

  function whenLoaded(fn) {
    if (loaded || document.readyState === "complete") { fn(); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function here() { return location.pathname + location.search; }

  function fieldsOf(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || el.disabled || name === "csrf_token") { return; }
      var type = (el.type || "").toLowerCase();
      if (["file", "password", "submit", "button", "reset"].indexOf(type) >= 0) { return; }
      if ((type === "checkbox" || type === "radio") && !el.checked) { return; }
      var values = [];
      if (type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) { values.push(o.value); } });
      } else {
        values.push(el.value);
      }
      values.forEach(function (v) {
        if (!(name in out)) { out[name] = v; }
        else if (Array.isArray(out[name])) { out[name].push(v); }
        else { out[name] = [out[name], v]; }
      });
    });
    return out;
  }

  function fill(form, fields) {
    var event = new CustomEvent("draft:restore", { detail: { fields: fields } });
    form.dispatchEvent(event);
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || name === "csrf_token") { return; }
      var type = (el.type || "").toLowerCase();
      if (["file", "password", "submit", "button", "reset"].indexOf(type) >= 0) { return; }
      if (type === "hidden" && !(name in fields)) { return; }
      var want = name in fields ? [].concat(fields[name]) : null;
      var before = type === "checkbox" || type === "radio" ? el.checked : el.value;
      if (type === "checkbox") {
        el.checked = want !== null && want.indexOf(el.value) >= 0;
      } else if (type === "radio") {
        if (want !== null) { el.checked = want.indexOf(el.value) >= 0; }
      } else if (type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = want !== null && want.indexOf(o.value) >= 0; });
      } else if (want !== null) {
        el.value = want[0];
      }
      var after = type === "checkbox" || type === "radio" ? el.checked : el.value;
      if (before !== after) { el.dispatchEvent(new Event("change", { bubbles: true })); }
    });
  }

  function url(entry) { return "/drafts/" + entry.patient + "/" + encodeURIComponent(entry.key); }

  function status(entry, text) {
    if (entry.status) { entry.status.textContent = text; }
  }

  function stash(entry) {
    try {
      sessionStorage.setItem(STASH, JSON.stringify({
        path: entry.path, key: entry.key, patient: entry.patient, fields: fieldsOf(entry.form), at: Date.now()
      }));
    } catch (e) { /* private mode: the server copy is all there is */ }
  }

  function signedOut(entry) {
    stash(entry);
    location.href = "/login?next=" + encodeURIComponent(entry.path) + "&reason=expired";
  }

  function save(entry, keepalive) {
    entry.timer = null;
    var body = JSON.stringify({ path: entry.path, fields: fieldsOf(entry.form) });
    if (body === entry.last) { return Promise.resolve(); }
    status(entry, "Saving draft…");
    return fetch(url(entry), {
      method: "PUT", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() }, body: body
    }).then(function (r) {
      if (r.status === 401) { signedOut(entry); return; }
      if (!r.ok) { status(entry, "Draft not saved: keep this page open."); return; }
      entry.last = body;
      status(entry, "Draft saved " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    }).catch(function () { status(entry, "Draft not saved (no connection): keep this page open."); });
  }

  function later(entry) {
    if (entry.timer) { clearTimeout(entry.timer); }
    entry.timer = setTimeout(function () { save(entry, false); }, DELAY);
  }

  function note(entry, when) {
    var box = document.createElement("div");
    box.className = "alert info draft-note";
    box.setAttribute("role", "status");
    box.appendChild(document.createTextNode("Your unsaved draft" + (when ? " from " + when : "") + " is back in the form. "));
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "secondary";
    discard.textContent = "Discard draft";
    discard.addEventListener("click", function () {
      fetch(url(entry), { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
        .then(function () { location.replace(here()); });
    });
    box.appendChild(discard);
    entry.form.parentNode.insertBefore(box, entry.form);
  }

  function pending(entry) {
    var raw = null;
    try { raw = sessionStorage.getItem(STASH); } catch (e) { return null; }
    if (!raw) { return null; }
    sessionStorage.removeItem(STASH);  // kept only across the sign-in page, used at most once
    var data = null;
    try { data = JSON.parse(raw); } catch (e) { data = null; }
    var same = data && data.path === entry.path && data.key === entry.key;
    return same && String(data.patient) === String(entry.patient) ? data : null;
  }

  function restore(entry) {
    var local = pending(entry);
    if (entry.form.hasAttribute("data-draft-posted")) {  // the server showed the posted form again (an error)
      later(entry);
      return;
    }
    if (local) {
      fill(entry.form, local.fields);
      note(entry, new Date(local.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      save(entry, false);
      return;
    }
    fetch(url(entry), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.draft) { return; }
        fill(entry.form, data.draft.fields);
        entry.last = JSON.stringify({ path: entry.path, fields: fieldsOf(entry.form) });
        note(entry, data.draft.saved);
      })
      .catch(function () { /* offline: nothing to restore */ });
  }

  function attach(form, key, patient) {
    var entry = { form: form, key: key, patient: patient, path: here(), timer: null, last: null, status: null };
    var line = document.createElement("span");
    line.className = "draft-status small muted";
    line.setAttribute("aria-live", "polite");
    var actions = form.querySelector(".sticky-actions") || form;
    actions.appendChild(line);
    entry.status = line;
    form.addEventListener("input", function () { later(entry); });
    form.addEventListener("change", function () { later(entry); });
    form.addEventListener("submit", function () {
      stash(entry);  // if the session ended, the form comes back with this after signing in
      if (entry.timer) { clearTimeout(entry.timer); }
      save(entry, true);
    });
    forms.push(entry);
    whenLoaded(function () { restore(entry); });
    return entry;
  }

  function flushAll(keep) {
    return Promise.all(forms.map(function (entry) {
      if (keep) { stash(entry); }
      if (entry.timer) { clearTimeout(entry.timer); }
      return save(entry, true);
    }));
  }

  if (location.pathname !== "/login") {
    var seen = document.querySelector("form[data-draft]");
    if (!seen) { try { sessionStorage.removeItem(STASH); } catch (e) { /* ignore */ } }
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
    attach(form, form.getAttribute("data-draft"), form.getAttribute("data-draft-patient"));
  });
  window.FiliformDrafts = { attach: attach, flushAll: flushAll, fieldsOf: fieldsOf, fill: fill };
}());
