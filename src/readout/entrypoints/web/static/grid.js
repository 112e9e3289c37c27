// The availability grid: tells the server this browser's time zone (for "This browser's time zone"), and
// moves focus between a day's column headers with the arrow keys (one tab stop per day, not one per start).
(function () {
  "use strict";
  function ready() {
    var field = document.getElementById("browser-zone");
    if (field) {
      try { field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { field.value = ""; }
    }
    var tables = document.querySelectorAll("table.avail");
    tables.forEach(function (table) {
      var heads = Array.prototype.slice.call(table.querySelectorAll("th.col"));
      if (!heads.length) { return; }
      var first = heads.findIndex(function (h) { return h.dataset.kind !== "blocked"; });
      heads.forEach(function (h, i) { h.tabIndex = i === Math.max(first, 0) ? 0 : -1; });
      table.addEventListener("keydown", function (event) {
        var at = heads.indexOf(document.activeElement);
        if (at < 0) { return; }
        var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: heads.length - 1 }[event.key];
        if (to === undefined) { return; }
        to = Math.min(Math.max(to, 0), heads.length - 1);
        event.preventDefault();
        heads[at].tabIndex = -1;
        heads[to].tabIndex = 0;
        heads[to].focus();
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
