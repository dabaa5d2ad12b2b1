/* Sen CRM web-to-lead form embed.
 *
 * On a host page:  <script src="https://crm.example.vn/static/js/senform-embed.js"
 *                          data-form="https://crm.example.vn/f/KEY/" async></script>
 * creates the form's iframe where the script tag stands, passing on the page's utm_* query
 * parameters and the page's address (ref=…) so that the lead keeps where it came from, and
 * resizes the iframe to the form's height.
 *
 * Inside the form page itself (loaded without data-form) it reports the page's height to the
 * host page, which is all the host page learns from the form.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var MESSAGE = "senform:height";

  function embed(tag) {
    var src;
    try { src = new URL(tag.getAttribute("data-form"), tag.src || window.location.href); } catch (err) { return; }
    if (src.protocol !== "https:" && src.protocol !== "http:") { return; }
    var params = new URLSearchParams(window.location.search);
    params.forEach(function (value, key) {
      if (/^utm_[a-z]+$/.test(key) && !src.searchParams.has(key)) { src.searchParams.set(key, value.slice(0, 200)); }
    });
    var here = window.location.href.split("#")[0];
    src.searchParams.set("ref", here.slice(0, 500));
    if (tag.getAttribute("data-lang")) { src.searchParams.set("lang", tag.getAttribute("data-lang")); }
    var frame = document.createElement("iframe");
    frame.src = src.toString();
    frame.title = tag.getAttribute("data-title") || "Form";
    frame.width = "100%";
    frame.height = tag.getAttribute("data-height") || "720";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("loading", "lazy");
    frame.style.border = "0";
    frame.style.maxWidth = "100%";
    tag.parentNode.insertBefore(frame, tag.nextSibling);
    window.addEventListener("message", function (e) {
      if (e.source !== frame.contentWindow || e.origin !== src.origin) { return; }
      var data = e.data || {};
      if (data.type !== MESSAGE) { return; }
      var height = parseInt(data.height, 10);
      if (height > 100 && height < 10000) { frame.height = String(height + 8); }
    });
  }

  function report() {
    var send = function () {
      window.parent.postMessage({ type: MESSAGE, height: document.documentElement.scrollHeight }, "*");
    };
    window.addEventListener("load", send);
    window.addEventListener("resize", send);
    if (document.readyState !== "loading") { send(); } else { document.addEventListener("DOMContentLoaded", send); }
  }

  if (script && script.getAttribute("data-form")) {
    embed(script);
  } else if (window.parent !== window) {
    report();
  }
})();
