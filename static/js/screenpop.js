// The screen pop: a page with #screenpop[data-live-url] listens to its user's call messages (server-sent
// events, sencrm/support/views/live.py) and shows the caller's card as the phone rings, without a reload.
// The card is fetched with htmx from our own server (only same-origin paths are followed); "answered" and
// "ended" refresh the card of the call on screen. EventSource reconnects by itself when the stream ends.
(function () {
  "use strict";
  function start() {
    // A page with its own place for the card (the care home page, the live calls page) uses it; every
    // other page of a care user has the floating box of the layout (templates/base.html).
    var box = document.getElementById("screenpop") || document.getElementById("screenpop-float");
    if (!box || !box.dataset.liveUrl || !window.EventSource || !window.htmx) { return; }
    if (box.dataset.live) { return; }  // the script is on the page twice: one stream is enough
    var source = new EventSource(box.dataset.liveUrl);
    box.dataset.live = "connecting";
    source.addEventListener("open", function () { box.dataset.live = "open"; });
    source.addEventListener("error", function () {
      box.dataset.live = source.readyState === EventSource.CLOSED ? "closed" : "connecting";
    });
    source.addEventListener("call", function (e) {
      var message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      var card = message && message.card;
      if (typeof card !== "string" || card.charAt(0) !== "/" || card.charAt(1) === "/") { return; }
      var shown = box.dataset.call || "";
      // A new ringing call replaces the card; news of another call than the one shown is left aside.
      if (message.event !== "ringing" && shown !== String(message.call)) { return; }
      box.dataset.call = String(message.call);
      box.dataset.receivedAt = String(Date.now());
      window.htmx.ajax("GET", card, { target: box, swap: "innerHTML" });
    });
    if (box.id === "screenpop-float") {
      // The floating card can be put away; the next call shows it again.
      box.addEventListener("htmx:afterSwap", function () {
        var close = document.createElement("button");
        close.type = "button";
        close.className = "btn-close float-end";
        close.setAttribute("aria-label", box.dataset.closeLabel || "Close");
        close.dataset.testid = "screenpop-close";
        close.addEventListener("click", function () { box.replaceChildren(); delete box.dataset.call; });
        box.prepend(close);
      });
    }
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
