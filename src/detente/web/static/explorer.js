// Détente event explorer: progressive enhancement of a page that works without this script.
// - filters, paging and timeline clicks load the next state without a full reload (same server-rendered HTML);
// - the map zooms (buttons, wheel) and pans (drag), and can filter to the area in view;
// - hovering or focusing a mark or a bar writes its description under the panels.
(function () {
  "use strict";

  function root() { return document.getElementById("explorer"); }

  function load(url, push) {
    var el = root();
    if (!el) { window.location.href = url; return; }
    el.classList.add("loading");
    fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("explorer");
        if (!fresh) { window.location.href = url; return; }
        el.replaceWith(fresh);
        if (push) { history.pushState({ explorer: true }, "", url); }
        enhance(fresh);
      })
      .catch(function () { window.location.href = url; });
  }

  function formUrl(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "") { params.append(key, value); }
    });
    var qs = params.toString();
    return form.getAttribute("action") + (qs ? "?" + qs : "");
  }

  function enhanceForm(el) {
    var form = el.querySelector("form.ex-filters");
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      load(formUrl(form), true);
    });
  }

  function enhanceLinks(el) {
    el.querySelectorAll(".ex-pager a, .ex-summary a, .ex-actions a, .ex-measure a").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
        ev.preventDefault();
        load(a.getAttribute("href"), true);
      });
    });
  }

  function readout(el, text) {
    var out = el.querySelector(".ex-readout");
    if (out) { out.textContent = text || ""; }
  }

  // hovering or focusing a node writes its title under the panels. Nothing here adds tab stops: the map is one
  // (moved with the keyboard, enhanceMap), the timeline's bars are one (arrows between them, enhanceTimeline)
  function describe(el, selector) {
    el.querySelectorAll(selector).forEach(function (node) {
      var title = node.querySelector("title");
      if (!title) { return; }
      var show = function () { readout(el, title.textContent); };
      node.addEventListener("mouseenter", show);
      node.addEventListener("focus", show);
    });
  }

  // the bars are one tab stop (the latest bar); left and right arrows, Home and End move between them
  function enhanceTimeline(el) {
    var form = el.querySelector("form.ex-filters");
    var bars = Array.prototype.slice.call(el.querySelectorAll(".ex-timeline .bar"));
    var focusBar = function (i) {
      var next = bars[Math.max(0, Math.min(bars.length - 1, i))];
      bars.forEach(function (b) { b.setAttribute("tabindex", b === next ? "0" : "-1"); });
      next.focus();
    };
    bars.forEach(function (bar, i) {
      bar.setAttribute("role", "button");
      bar.setAttribute("tabindex", i === bars.length - 1 ? "0" : "-1");
      var pick = function () {
        if (!form) { return; }
        form.elements.namedItem("start").value = bar.getAttribute("data-start");
        form.elements.namedItem("end").value = bar.getAttribute("data-end");
        load(formUrl(form), true);
      };
      bar.addEventListener("click", pick);
      bar.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); }
        else if (ev.key === "ArrowLeft") { ev.preventDefault(); focusBar(i - 1); }
        else if (ev.key === "ArrowRight") { ev.preventDefault(); focusBar(i + 1); }
        else if (ev.key === "Home") { ev.preventDefault(); focusBar(0); }
        else if (ev.key === "End") { ev.preventDefault(); focusBar(bars.length - 1); }
      });
    });
  }

  function enhanceMap(el) {
    var svg = el.querySelector("svg.ex-map");
    var wrap = el.querySelector(".ex-map-wrap");
    if (!svg || !wrap) { return; }
    var base = svg.viewBox.baseVal;
    var W = base.width, H = base.height;
    var view = { x: 0, y: 0, w: W, h: H };
    var apply = function () {
      svg.setAttribute("viewBox", view.x.toFixed(1) + " " + view.y.toFixed(1) + " " + view.w.toFixed(1) + " " + view.h.toFixed(1));
    };
    var zoom = function (factor, cx, cy) {
      var w = Math.min(W * 4, Math.max(W / 64, view.w * factor));
      var h = w * H / W;
      if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
      view.x = cx - (cx - view.x) * (w / view.w);
      view.y = cy - (cy - view.y) * (h / view.h);
      view.w = w; view.h = h;
      apply();
    };
    var toSvg = function (ev) {
      var r = svg.getBoundingClientRect();
      return { x: view.x + (ev.clientX - r.left) / r.width * view.w, y: view.y + (ev.clientY - r.top) / r.height * view.h };
    };
    // the lon/lat box of what is in view, from the projection the server wrote on the SVG
    var area = function () {
      var box = svg.getAttribute("data-box").split(",").map(Number);
      var k = Number(svg.getAttribute("data-k")), s = Number(svg.getAttribute("data-scale"));
      var lon = function (x) { return Math.max(-180, Math.min(180, box[0] + x / (k * s))); };
      var lat = function (y) { return Math.max(-90, Math.min(90, box[3] - y / s)); };
      return [lon(view.x), lat(view.y + view.h), lon(view.x + view.w), lat(view.y)].map(function (v) { return v.toFixed(3); });
    };
    var bar = document.createElement("div");
    bar.className = "ex-zoom";
    var button = function (label, title, fn) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.title = title; b.setAttribute("aria-label", title);
      b.addEventListener("click", fn);
      bar.appendChild(b);
    };
    button("+", "Zoom in", function () { zoom(0.6); });
    button("−", "Zoom out", function () { zoom(1 / 0.6); });
    button("Reset", "Reset the view", function () { view = { x: 0, y: 0, w: W, h: H }; apply(); });
    button("Only this area", "Show only events in this area", function () {
      var form = el.querySelector("form.ex-filters");
      if (!form) { return; }
      var input = form.elements.namedItem("bbox");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden"; input.name = "bbox";
        form.appendChild(input);
      }
      input.value = area().join(",");
      load(formUrl(form), true);
    });
    var hint = document.createElement("span");
    hint.className = "meta";
    hint.textContent = "or scroll to zoom, drag to move";
    bar.appendChild(hint);
    wrap.appendChild(bar);
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var p = toSvg(ev);
      zoom(ev.deltaY < 0 ? 0.8 : 1.25, p.x, p.y);
    }, { passive: false });
    var drag = null;
    svg.addEventListener("pointerdown", function (ev) {
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y };
      svg.classList.add("dragging");
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) { return; }
      var r = svg.getBoundingClientRect();
      view.x = drag.vx - (ev.clientX - drag.x) / r.width * view.w;
      view.y = drag.vy - (ev.clientY - drag.y) / r.height * view.h;
      apply();
    });
    window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("dragging"); });
    // one tab stop for the whole map: arrows move it, + and - zoom, 0 resets
    svg.setAttribute("tabindex", "0");
    svg.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight ArrowUp ArrowDown + - 0");
    svg.addEventListener("keydown", function (ev) {
      var step = view.w * 0.1;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[ev.key]) {
        view.x += moves[ev.key][0]; view.y += moves[ev.key][1]; apply();
      } else if (ev.key === "+" || ev.key === "=") { zoom(0.6); }
      else if (ev.key === "-") { zoom(1 / 0.6); }
      else if (ev.key === "0") { view = { x: 0, y: 0, w: W, h: H }; apply(); }
      else { return; }
      ev.preventDefault();
    });
  }

  function enhance(el) {
    enhanceForm(el);
    enhanceLinks(el);
    enhanceTimeline(el);
    enhanceMap(el);
    describe(el, ".ex-map .mark, .ex-map .cell, .ex-map .stack, .ex-timeline .bar");
    el.setAttribute("data-enhanced", "1");
  }

  window.addEventListener("popstate", function () { load(window.location.href, false); });
  var el = root();
  if (el) { enhance(el); }
}());
