// Ties each bar of a server-drawn chart to its row in the table beside it: pointing at or
// focusing a bar highlights the row, and the other way round. The chart works without this.
(function () {
  "use strict";
  function rowsFor(key) {
    return document.querySelectorAll('tr[data-key="' + CSS.escape(key) + '"], svg.chart .bar-group[data-key="' + CSS.escape(key) + '"]');
  }
  function toggle(key, on) {
    rowsFor(key).forEach(function (element) { element.classList.toggle("highlight", on); });
  }
  function wire(element) {
    var key = element.getAttribute("data-key");
    if (!key) { return; }
    ["mouseenter", "focus"].forEach(function (name) {
      element.addEventListener(name, function () { toggle(key, true); });
    });
    ["mouseleave", "blur"].forEach(function (name) {
      element.addEventListener(name, function () { toggle(key, false); });
    });
  }
  document.querySelectorAll("svg.chart .bar-group[data-key], table tr[data-key]").forEach(wire);
})();
