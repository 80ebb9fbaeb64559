/* Verification pages: small enhancements; every page works without them. */
(function () {
  "use strict";

  // "Verify this record": remember the checkpoint shown, offer the one seen before for a consistency check.
  var note = document.getElementById("checkpoint-note");
  var form = document.getElementById("seen-form");
  if (note && form && window.localStorage) {
    var key = "detente.seen-checkpoint." + note.dataset.origin;
    var now = { size: Number(note.dataset.size), root: note.dataset.root, at: new Date().toISOString() };
    var before = null;
    try { before = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (err) { before = null; }
    var hint = document.getElementById("seen-hint");
    if (before && before.size && before.root && hint && !form.elements.seen_size.value) {
      var link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = "Use the checkpoint this browser saw on " + before.at.slice(0, 16).replace("T", " ") +
        " (size " + before.size + ")";
      link.addEventListener("click", function () {
        form.elements.seen_size.value = String(before.size);
        form.elements.seen_root.value = before.root;
        form.submit();
      });
      hint.appendChild(link);
      hint.hidden = false;
    }
    if (!before || before.size <= now.size) {
      window.localStorage.setItem(key, JSON.stringify(now));
    }
  }

  // Evidence uploads: say what will be sent, and refuse early what the server would refuse.
  Array.prototype.forEach.call(document.querySelectorAll("form.vform[enctype='multipart/form-data']"), function (f) {
    var input = f.querySelector("input[type=file]");
    var out = f.querySelector(".upload-note");
    var limit = Number(f.dataset.maxBytes || 0);
    if (!input || !out) { return; }
    input.addEventListener("change", function () {
      var names = [];
      var problem = "";
      Array.prototype.forEach.call(input.files, function (file) {
        names.push(file.name + " (" + Math.ceil(file.size / 1024) + " KB)");
        if (limit && file.size > limit) { problem = file.name + " is over the 20 MB limit."; }
      });
      if (input.files.length > 5) { problem = "At most 5 files per report."; }
      out.textContent = problem || (names.length ? "To sign and send: " + names.join(", ") : "");
      input.setCustomValidity(problem);
    });
  });

  // Candidate violations: start an allegation from an event (a person still writes and decides it).
  Array.prototype.forEach.call(document.querySelectorAll(".use-candidate"), function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById("allege");
      var text = document.getElementById("allege-summary");
      if (!box || !text) { return; }
      box.open = true;
      text.value = button.dataset.summary + "\n";
      text.focus();
    });
  });
})();
