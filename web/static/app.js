// parvandeh: zoom for the page viewer and identifier boxes lit from the list (no framework).
(function () {
  "use strict";
  var figure = document.getElementById("figure");
  if (figure) {
    var zoom = 100;
    var zoomer = document.getElementById("zoomer");
    var img = document.getElementById("page-image");
    var firstHit = figure.querySelector(".hit-box");
    // keep the first hit in view, or the page's right edge (where Persian lines start)
    var centre = function () {
      if (!zoomer || !img) return;
      var w = Number(img.getAttribute("width")) || 1;
      var h = Number(img.getAttribute("height")) || 1;
      var x = firstHit ? Number(firstHit.getAttribute("x")) / w * img.clientWidth : img.clientWidth;
      zoomer.scrollLeft = Math.max(0, x - zoomer.clientWidth / 2);
      if (firstHit) {
        var y = Number(firstHit.getAttribute("y")) / h * img.clientHeight;
        zoomer.scrollTop = Math.max(0, y - zoomer.clientHeight / 3);
      }
    };
    var apply = function () {
      figure.style.width = zoom + "%";
      figure.dataset.zoom = String(zoom);
      centre();
    };
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "in") zoom = Math.min(400, zoom + 25);
        else if (how === "out") zoom = Math.max(50, zoom - 25);
        else zoom = 100;
        apply();
      });
    });
    if (firstHit && img) {  // bring the first hit into view inside the scrolling frame
      if (img.complete) centre(); else img.addEventListener("load", centre);
    }
  }
  document.querySelectorAll(".ident[data-kind]").forEach(function (item) {
    var boxes = document.querySelectorAll(".ident-box");
    var light = function (on) {
      boxes.forEach(function (box) {
        if (box.dataset.kind === item.dataset.kind && box.dataset.canonical === item.dataset.canonical) {
          box.classList.toggle("lit", on);
        }
      });
    };
    item.addEventListener("mouseenter", function () { light(true); });
    item.addEventListener("mouseleave", function () { light(false); });
    item.addEventListener("focusin", function () { light(true); });
    item.addEventListener("focusout", function () { light(false); });
  });
})();
