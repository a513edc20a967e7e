// Draws every chart of the page with the Vega runtime of vega.js (bundled into the site: nothing is
// fetched). A chart's Vega-Lite spec sits in <script type="application/json" data-chart="ID">;
// it is drawn as SVG into the element with that id. Without JavaScript the tables still read.
(function () {
  "use strict";
  var specs = document.querySelectorAll('script[type="application/json"][data-chart]');
  Array.prototype.forEach.call(specs, function (el) {
    var target = document.getElementById(el.getAttribute("data-chart"));
    if (!target) { return; }
    if (typeof window.vegaEmbed !== "function") {
      target.textContent = "The chart needs vega.js, which did not load; the table below has every number.";
      return;
    }
    window.vegaEmbed(target, JSON.parse(el.textContent), { renderer: "svg", actions: false })
      .then(function () { target.setAttribute("data-drawn", "yes"); })
      .catch(function (err) { target.textContent = "The chart could not be drawn (" + err + "); the table below has every number."; });
  });
}());
