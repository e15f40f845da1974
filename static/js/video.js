/* МАГ-Видео: the player of an outside host (RuTube, VK Video, YouTube) is loaded only when the
   reader asks for it. Until the click the page makes no request to the host: no iframe, no
   preconnect, no thumbnail of theirs. Without JavaScript the link opens the video on the host. */
(function () {
  "use strict";
  var links = document.querySelectorAll("a.video-play[data-embed]");
  Array.prototype.forEach.call(links, function (link) {
    // With the script, the link plays the video here: a button for assistive technology.
    link.setAttribute("role", "button");
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) { return; }  // opening it elsewhere is the reader's choice
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.src = link.getAttribute("data-embed");
      frame.title = link.getAttribute("data-title") || "";
      frame.className = "video-frame";
      frame.setAttribute("allow", "autoplay; encrypted-media; fullscreen; picture-in-picture");
      frame.setAttribute("allowfullscreen", "");
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      link.parentNode.replaceChild(frame, link);
      frame.focus();
    });
    // a role="button" answers the space bar as well as Enter
    link.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); link.click(); }
    });
  });
}());
