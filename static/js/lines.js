// Document lines: "Add a line" clones the empty form of the formset (Django's __prefix__ → next index).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-line]");
    if (!button) return;
    var form = button.closest("form");
    var total = form.querySelector("input[name$='-TOTAL_FORMS']");
    var template = document.getElementById("line-template");
    var rows = document.getElementById("line-rows");
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("select, input:not([type=hidden])");
    if (first) first.focus();
  });
})();
