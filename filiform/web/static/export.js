/* The clinic's FHIR Bulk Data export from the Exports page: kick off, poll, list the files. */
(function () {
  "use strict";
  var start = document.getElementById("bulk-start");
  if (!start) { return; }
  var status = document.getElementById("bulk-status");
  var files = document.getElementById("bulk-files");
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function poll(where) {
    fetch(where, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 202) {
        status.textContent = "Exporting… " + (r.headers.get("X-Progress") || "");
        setTimeout(function () { poll(where); }, 1500);
        return null;
      }
      if (!r.ok) { status.textContent = "The export failed (" + r.status + "). Try again later."; start.disabled = false; return null; }
      return r.json();
    }).then(function (manifest) {
      if (!manifest) { return; }
      status.textContent = "Done: " + manifest.output.length + " files.";
      manifest.output.forEach(function (o) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = o.url;
        a.textContent = o.type + " (" + (o.count || 0) + ")";
        a.setAttribute("download", o.type + ".ndjson");
        li.appendChild(a);
        files.appendChild(li);
      });
      start.disabled = false;
    });
  }
  start.addEventListener("click", function () {
    start.disabled = true;
    files.textContent = "";
    status.textContent = "Starting…";
    fetch(start.getAttribute("data-kickoff"), {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/fhir+json", Prefer: "respond-async", "X-CSRF-Token": csrf() }
    }).then(function (r) {
      if (r.status === 429) { status.textContent = "An export is already running; try again in a minute."; start.disabled = false; return; }
      if (r.status !== 202) { status.textContent = "The export could not start (" + r.status + ")."; start.disabled = false; return; }
      poll(r.headers.get("Content-Location"));
    });
  });
}());
