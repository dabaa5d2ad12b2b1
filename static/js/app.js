// Sen CRM front-end glue: Bootstrap form classes on server-rendered widgets, htmx error messages.
(function () {
  "use strict";
  function styleForms(root) {
    root.querySelectorAll("input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not(.form-control), textarea:not(.form-control)").forEach(function (el) { el.classList.add("form-control"); });
    root.querySelectorAll("select:not(.form-select)").forEach(function (el) { el.classList.add("form-select"); });
    root.querySelectorAll("input[type=checkbox]:not(.form-check-input)").forEach(function (el) { el.classList.add("form-check-input"); });
  }
  document.addEventListener("DOMContentLoaded", function () { styleForms(document); });
  document.addEventListener("htmx:afterSwap", function (e) { styleForms(e.target); });
  // Show server error answers of htmx requests instead of failing silently.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.createElement("div");
    box.className = "alert alert-danger";
    box.setAttribute("role", "alert");
    box.textContent = (document.documentElement.lang === "en" ? "The request failed (" : "Yêu cầu không thành công (") + e.detail.xhr.status + ").";
    var main = document.querySelector("main");
    if (main) { main.prepend(box); }
  });
})();
