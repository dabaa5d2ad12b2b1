// Sen CRM province box: a text input where people write a province as they know it (a province of
// 2025, one from before the 2025 merger, a city such as Nha Trang) with server-rendered suggestions
// saying which 2025 province each name is saved as. What is typed is what is posted: the server
// resolves it (sencrm/customers/provinces.py) and answers a form error for a name it cannot place.
// Event delegation, so forms swapped in by htmx work too.
(function () {
  "use strict";

  var timers = new WeakMap();

  function parts(el) {
    var box = el.closest ? el.closest("[data-province-input]") : null;
    if (!box) { return null; }
    return { box: box, input: box.querySelector("[data-province-text]"), list: box.querySelector("[data-province-list]") };
  }

  function close(p) {
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
  }

  function suggest(p) {
    p.box.setAttribute("data-province-asked", p.input.value);
    var url = p.box.getAttribute("data-province-input") + "?q=" + encodeURIComponent(p.input.value.trim());
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        // Server-rendered and escaped by Django's templates.
        p.list.innerHTML = html;
        p.list.hidden = html.trim() === "" || document.activeElement === null || !p.box.contains(document.activeElement);
        p.input.setAttribute("aria-expanded", p.list.hidden ? "false" : "true");
      });
  }

  function choose(p, option) {
    p.input.value = option.getAttribute("data-value");
    p.box.setAttribute("data-province-asked", p.input.value); // back in the box: no new list for it
    close(p);
    p.input.focus();
    p.input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("input", function (e) {
    if (!e.target.matches || !e.target.matches("[data-province-text]")) { return; }
    var p = parts(e.target);
    clearTimeout(timers.get(p.box));
    timers.set(p.box, setTimeout(function () { suggest(p); }, 200));
  });

  document.addEventListener("focusin", function (e) {
    if (!e.target.matches || !e.target.matches("[data-province-text]")) { return; }
    var p = parts(e.target);
    // Not again for the text it was last asked for (back from the list, or after a choice).
    if (p.box.getAttribute("data-province-asked") !== p.input.value) { suggest(p); }
  });

  document.addEventListener("click", function (e) {
    var option = e.target.closest ? e.target.closest("[data-province-list] [data-value]") : null;
    document.querySelectorAll("[data-province-input]").forEach(function (box) {
      var p = parts(box);
      if (option && box.contains(option)) {
        choose(p, option);
      } else if (!box.contains(e.target)) {
        close(p);
      }
    });
  });

  document.addEventListener("keydown", function (e) {
    var p = e.target.closest ? parts(e.target) : null;
    if (!p) { return; }
    var options = Array.prototype.slice.call(p.list.querySelectorAll("[data-value]"));
    var at = options.indexOf(e.target);
    if (e.key === "Escape") {
      close(p);
      p.input.focus();
    } else if (e.key === "ArrowDown" && !p.list.hidden && options.length) {
      e.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (e.key === "ArrowUp" && at !== -1) {
      e.preventDefault();
      if (at === 0) { p.input.focus(); } else { options[at - 1].focus(); }
    }
  });
})();
