// Actor pages: hovering or focusing an actor in a chart highlights it in the table beside it (and back), and in
// the network shows only that actor's ties. The pages work without this script.
(function () {
  "use strict";

  function rows(id) {
    return document.querySelectorAll('tr[data-id="' + CSS.escape(id) + '"]');
  }

  function link(marks, onEnter, onLeave) {
    marks.forEach(function (mark) {
      var id = mark.getAttribute("data-id");
      ["mouseenter", "focusin"].forEach(function (ev) {
        mark.addEventListener(ev, function () { onEnter(id, mark); });
      });
      ["mouseleave", "focusout"].forEach(function (ev) {
        mark.addEventListener(ev, function () { onLeave(id, mark); });
      });
    });
  }

  function setRows(id, on) {
    rows(id).forEach(function (r) { r.classList.toggle("hl", on); });
  }

  var grid = document.querySelector(".ac-grid");
  if (grid) {
    var points = grid.querySelectorAll(".pt");
    link(points, function (id) { setRows(id, true); }, function (id) { setRows(id, false); });
    document.querySelectorAll("tr[data-id]").forEach(function (row) {
      var id = row.getAttribute("data-id");
      var pt = grid.querySelector('.pt[data-id="' + CSS.escape(id) + '"]');
      if (!pt) { return; }
      row.addEventListener("mouseenter", function () { pt.classList.add("hl"); });
      row.addEventListener("mouseleave", function () { pt.classList.remove("hl"); });
    });
  }

  var net = document.querySelector(".ac-net");
  if (net) {
    var ties = net.querySelectorAll(".tie");
    var nodes = net.querySelectorAll(".node");
    var focus = function (id) {
      var near = {};
      near[id] = true;
      ties.forEach(function (t) {
        var s = t.getAttribute("data-s"), d = t.getAttribute("data-t");
        var on = s === id || d === id;
        t.classList.toggle("on", on);
        if (on) { near[s] = true; near[d] = true; }
      });
      nodes.forEach(function (n) { n.classList.toggle("on", !!near[n.getAttribute("data-id")]); });
      net.classList.add("focus");
      setRows(id, true);
    };
    var blur = function (id) {
      net.classList.remove("focus");
      setRows(id, false);
    };
    link(nodes, focus, blur);
    document.querySelectorAll(".ac-short tr[data-id]").forEach(function (row) {
      var id = row.getAttribute("data-id");
      row.addEventListener("mouseenter", function () { focus(id); });
      row.addEventListener("mouseleave", function () { blur(id); });
    });
  }
})();
