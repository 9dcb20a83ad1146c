/* Idle log-off, announced a minute ahead with a way to stay (no inline scripts: CSP).

   The server ends a session after data-idle seconds without a request, and may end it up to
   data-idle-slack seconds earlier (it records "last seen" at most once a minute), so the
   deadline here counts from the last request the page made minus that slack. Every request
   the page makes (drafts, chart, keep-alive) pushes the deadline on; so does a tap or a key
   after a quiet minute. When the warning runs out, drafts are saved and the user is signed
   out and sent to sign in again, coming back to this page afterwards. */
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle") || "0", 10);
  var slack = parseInt(body.getAttribute("data-idle-slack") || "0", 10);
  var box = document.getElementById("idle-warning");
  if (!idle || !box) { return; }
  var life = Math.max(5, idle - slack) * 1000;
  var lead = Math.min(60000, Math.max(5000, Math.floor(life / 3)));
  var last = Date.now();
  var leaving = false;
  var count = document.getElementById("idle-count");
  var original = window.fetch;

  function touched() { last = Date.now(); }

  window.fetch = function (input, init) {
    return original.apply(this, arguments).then(function (r) {
      var target = typeof input === "string" ? input : (input && input.url) || "";
      if (r.status !== 401 && (target.charAt(0) === "/" || target.indexOf(location.origin) === 0)) { touched(); }
      return r;
    });
  };

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function signIn(reason) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search) + "&reason=" + reason;
  }

  function leave() {
    if (leaving) { return; }
    leaving = true;
    var saved = window.FiliformDrafts ? window.FiliformDrafts.flushAll(true) : Promise.resolve();
    saved.catch(function () {}).then(function () {
      return original("/logout", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "csrf_token=" + encodeURIComponent(csrf()), redirect: "manual"
      });
    }).catch(function () {}).then(function () { signIn("idle"); });
  }

  function stay() {
    return original("/session/alive", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { signIn("expired"); return; }
      touched();
      hide();
    });
  }

  function show(seconds) {
    if (count) { count.textContent = String(seconds); }
    if (box.hidden) {
      box.hidden = false;
      document.getElementById("idle-stay").focus();
    }
  }

  function hide() { box.hidden = true; }

  function tick() {
    var left = last + life - Date.now();
    if (left <= 0) { leave(); return; }
    if (left <= lead) { show(Math.ceil(left / 1000)); } else if (!box.hidden) { hide(); }
  }

  function active() {
    if (box.hidden && Date.now() - last > Math.min(60000, life / 4)) { stay().catch(function () {}); }
  }

  document.getElementById("idle-stay").addEventListener("click", function () { stay().catch(function () {}); });
  document.getElementById("idle-leave").addEventListener("click", leave);
  ["keydown", "pointerdown"].forEach(function (kind) { document.addEventListener(kind, active, true); });
  setInterval(tick, 1000);
}());
