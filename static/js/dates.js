// Date inputs typed as dd/mm/yyyy (and dd/mm/yyyy HH:MM), whatever the browser's locale: the
// separators appear while the user types digits ("05112026" becomes "05/11/2026"), and typing
// the separator too does not double it. The server accepts the same text with or without them.
(function () {
  "use strict";

  function tidy(value, withTime) {
    var v = value.replace(/\/\/+$/, "/").replace(/  +$/, " ").replace(/::+$/, ":");
    var digits = /^(\d{2})(\d{2})(\d{4})$/.exec(v);
    if (digits) { return digits[1] + "/" + digits[2] + "/" + digits[3]; }
    if (/^\d{2}$/.test(v) || /^\d{1,2}\/\d{2}$/.test(v)) { return v + "/"; }
    if (withTime && /^\d{1,2}\/\d{1,2}\/\d{4}$/.test(v)) { return v + " "; }
    if (withTime && /^\d{1,2}\/\d{1,2}\/\d{4} \d{2}$/.test(v)) { return v + ":"; }
    return v;
  }

  document.addEventListener("input", function (e) {
    var input = e.target;
    if (!input || !input.matches || !input.matches("input[data-date-input]")) { return; }
    // Only while typing at the end: deleting or editing in the middle is left alone.
    if (e.inputType && e.inputType.indexOf("insert") !== 0) { return; }
    if (input.selectionStart !== input.value.length) { return; }
    var v = tidy(input.value, input.dataset.dateInput === "datetime");
    if (v !== input.value) { input.value = v; }
  });
})();
