// The gallery of an exhibition page: each thumbnail opens its picture larger in the page's
// <dialog data-lightbox>, a native modal dialog (the rest of the page is inert while it is
// open, and screen readers hear its label, then the caption that describes it).
//
// Keys: Enter or Space on a thumbnail opens it; ArrowLeft / ArrowRight show the previous or
// next picture (Home / End the first and last); Escape closes, and the focus goes back to the
// thumbnail of the picture last shown. Tab stays inside the dialog.
//
// Without this script, or in a browser without <dialog>, every thumbnail is a plain link to
// the larger picture: nothing here is needed to see any of them.
(function () {
  "use strict";
  var gallery = document.querySelector("[data-gallery]");
  var dialog = document.querySelector("[data-lightbox]");
  if (!gallery || !dialog || typeof dialog.showModal !== "function") return;

  var links = Array.prototype.slice.call(gallery.querySelectorAll("a.exhibit-link"));
  var frame = dialog.querySelector("[data-lightbox-picture]");
  var caption = dialog.querySelector("[data-lightbox-caption]");
  var closeButton = dialog.querySelector("[data-lightbox-close]");
  var position = dialog.getAttribute("data-position") || "{n} / {total}";
  // The larger picture: as wide as the screen allows; the browser picks the file from srcset.
  var LARGE = "(max-width: 100rem) 94vw, 1600px";
  var current = -1;
  if (!links.length || !frame || !caption || !closeButton) return;

  function show(index) {
    current = (index + links.length) % links.length;
    var link = links[current];
    var thumbnail = link.querySelector("picture, img");
    var large = thumbnail.cloneNode(true);
    var parts = [large].concat(Array.prototype.slice.call(large.querySelectorAll("source, img")));
    parts.forEach(function (part) {
      if (part.hasAttribute("sizes")) part.setAttribute("sizes", LARGE);
      part.removeAttribute("loading");
    });
    frame.replaceChildren(large);
    var figure = link.closest("figure");
    var text = figure ? figure.querySelector("figcaption") : null;
    var where = document.createElement("span");
    where.className = "lightbox-position";
    where.textContent = position.replace("{n}", String(current + 1)).replace("{total}", String(links.length)) + ". ";
    caption.replaceChildren(where);
    if (text) {
      Array.prototype.forEach.call(text.childNodes, function (node) { caption.appendChild(node.cloneNode(true)); });
    }
  }

  function open(index) {
    show(index);
    if (!dialog.open) dialog.showModal();
    closeButton.focus();
  }

  links.forEach(function (link, index) {
    link.setAttribute("aria-haspopup", "dialog");
    link.addEventListener("click", function (event) {
      // A new tab or window asked for (Ctrl, Shift, middle button) keeps the plain link.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      open(index);
    });
    link.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Spacebar") {   // a link opens on Enter only: Space too
        event.preventDefault();
        open(index);
      }
    });
  });

  function focusable() {
    return Array.prototype.slice.call(dialog.querySelectorAll("button:not([disabled])"));
  }

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") show(current + 1);
    else if (event.key === "ArrowLeft") show(current - 1);
    else if (event.key === "Home") show(0);
    else if (event.key === "End") show(links.length - 1);
    else if (event.key === "Tab") {
      // The page behind is inert already; this keeps the focus off the browser's own bar too.
      var items = focusable();
      var first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) last.focus();
      else if (!event.shiftKey && document.activeElement === last) first.focus();
      else return;
    } else return;
    event.preventDefault();
  });

  dialog.querySelector("[data-lightbox-next]").addEventListener("click", function () { show(current + 1); });
  dialog.querySelector("[data-lightbox-previous]").addEventListener("click", function () { show(current - 1); });
  closeButton.addEventListener("click", function () { dialog.close(); });
  // A click on the dimmed page around the picture closes it too.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close();
  });
  // Escape (the dialog's own "cancel"), the button or a click: the reader is back where they were.
  dialog.addEventListener("close", function () {
    frame.replaceChildren();
    if (current >= 0) links[current].focus();
  });
})();
