// CBM pages: light enhancement only; every page works without it.
(function () {
  "use strict";

  // Long-running forms (planning): say so and prevent a double submit.
  document.querySelectorAll("form.js-busy").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) return;
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      button.textContent = form.getAttribute("data-busy") || "Working…";
    });
  });

  // Catalogue: the words box filters the visible rows at once, before the form is sent.
  var filter = document.getElementById("cbm-filter");
  var table = document.querySelector("table.cbm-measures tbody");
  var count = document.getElementById("cbm-count");
  if (filter && table && count) {
    var words = filter.querySelector("input[name=q]");
    words.addEventListener("input", function () {
      var wanted = words.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      table.querySelectorAll("tr").forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var keep = wanted.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      count.textContent = shown + (shown === 1 ? " measure" : " measures") + " shown (words filter applied here).";
    });
  }

  // Charts: pointing at a pair's line brings it forward and dims the others.
  document.querySelectorAll("svg.cbm-chart").forEach(function (svg) {
    svg.querySelectorAll("polyline.pair").forEach(function (line) {
      line.style.pointerEvents = "stroke";
      line.addEventListener("mouseenter", function () {
        line.classList.add("hot");
        svg.classList.add("dim");
      });
      line.addEventListener("mouseleave", function () {
        line.classList.remove("hot");
        svg.classList.remove("dim");
      });
    });
  });
})();
