// Sen CRM lists and forms: the bulk bar (shown only when rows are ticked) and the searchable choice
// (a text box with server-rendered suggestions). Event delegation, so htmx-swapped lists work too.
(function () {
  "use strict";

  // --- Bulk bar -----------------------------------------------------------------------------------
  function syncBulk(form) {
    var bar = form.querySelector("[data-bulk-bar]");
    if (!bar) { return; }
    var rows = form.querySelectorAll("[data-bulk-row]");
    var ticked = form.querySelectorAll("[data-bulk-row]:checked").length;
    bar.hidden = ticked === 0;
    var count = bar.querySelector("[data-bulk-count]");
    if (count) { count.textContent = String(ticked); }
    var page = form.querySelector("[data-bulk-page]");
    if (page) {
      page.checked = ticked > 0 && ticked === rows.length;
      page.indeterminate = ticked > 0 && ticked < rows.length;
    }
  }

  function syncValues(form) {
    var action = form.querySelector("[data-bulk-action]");
    var chosen = action ? action.value : "";
    form.querySelectorAll("[data-bulk-for]").forEach(function (select) {
      var on = chosen !== "" && select.getAttribute("data-bulk-for").split(" ").indexOf(chosen) !== -1;
      select.hidden = !on;
      select.disabled = !on; // only the chosen action's value is posted
    });
  }

  function initBulk(root) {
    root.querySelectorAll("[data-bulk-form]").forEach(function (form) { syncBulk(form); syncValues(form); });
  }

  // --- Filters: the folded panel's button counts the filters that are set (the search box is not one).
  function syncFilterCount(form) {
    var badge = form.querySelector("[data-filter-count]");
    if (!badge) { return; }
    var n = 0;
    form.querySelectorAll("#list-filter-panel select, #list-filter-panel input:not([type=hidden])").forEach(function (el) {
      if (el.value && el.value.trim() !== "") { n += 1; }
    });
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  document.addEventListener("change", function (e) {
    var filters = e.target.closest ? e.target.closest("[data-filter-form]") : null;
    if (filters) { syncFilterCount(filters); }
  });

  document.addEventListener("change", function (e) {
    var form = e.target.closest ? e.target.closest("[data-bulk-form]") : null;
    if (!form) { return; }
    if (e.target.matches("[data-bulk-page]")) {
      form.querySelectorAll("[data-bulk-row]").forEach(function (box) { box.checked = e.target.checked; });
    }
    if (e.target.matches("[data-bulk-action]")) { syncValues(form); }
    syncBulk(form);
  });

  // --- Searchable choice ----------------------------------------------------------------------------
  var timers = new WeakMap();

  function listOf(box) { return box.querySelector("[data-autocomplete-list]"); }

  function closeList(box) {
    var list = listOf(box);
    list.hidden = true;
    box.querySelector("[data-autocomplete-input]").setAttribute("aria-expanded", "false");
  }

  function fetchSuggestions(box) {
    var input = box.querySelector("[data-autocomplete-input]");
    var url = box.getAttribute("data-autocomplete") + "?q=" + encodeURIComponent(input.value.trim());
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var list = listOf(box);
        // Server-rendered and escaped by Django's templates.
        list.innerHTML = html;
        list.hidden = html.trim() === "";
        input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      });
  }

  document.addEventListener("input", function (e) {
    if (!e.target.matches || !e.target.matches("[data-autocomplete-input]")) { return; }
    var box = e.target.closest("[data-autocomplete]");
    // Typing means a new choice: the old id goes until a suggestion is picked (empty text = none).
    box.querySelector("[data-autocomplete-value]").value = "";
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(function () { fetchSuggestions(box); }, 250));
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-autocomplete-input]")) {
      fetchSuggestions(e.target.closest("[data-autocomplete]"));
    }
  });

  document.addEventListener("click", function (e) {
    var option = e.target.closest ? e.target.closest("[data-autocomplete-list] [data-value]") : null;
    document.querySelectorAll("[data-autocomplete]").forEach(function (box) {
      if (option && box.contains(option)) {
        box.querySelector("[data-autocomplete-value]").value = option.getAttribute("data-value");
        box.querySelector("[data-autocomplete-input]").value = option.getAttribute("data-label");
        closeList(box);
      } else if (!box.contains(e.target)) {
        closeList(box);
      }
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && e.target.matches && e.target.matches("[data-autocomplete-input]")) {
      closeList(e.target.closest("[data-autocomplete]"));
    }
  });

  document.addEventListener("DOMContentLoaded", function () { initBulk(document); });
  document.addEventListener("htmx:afterSwap", function (e) { initBulk(e.target); });
})();
