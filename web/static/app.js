// parvandeh: zoom for the page viewer and identifier boxes lit from the list (no framework).
(function () {
  "use strict";
  var figure = document.getElementById("figure");
  if (figure) {
    var zoom = 100;
    var apply = function () {
      figure.style.width = zoom + "%";
      figure.dataset.zoom = String(zoom);
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
    var firstHit = figure.querySelector(".hit-box");
    var zoomer = document.getElementById("zoomer");
    if (firstHit && zoomer) {
      // bring the first hit into view inside the scrolling frame
      var img = document.getElementById("page-image");
      var show = function () {
        var h = Number(img.getAttribute("height")) || 1;
        var y = Number(firstHit.getAttribute("y")) / h * img.clientHeight;
        zoomer.scrollTop = Math.max(0, y - zoomer.clientHeight / 3);
      };
      if (img.complete) show(); else img.addEventListener("load", show);
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
