// The opportunity board: drag a card to another stage (SortableJS), or use the card's "Move to…" form.
// Every move is a POST to the server with the card's version; on success the card, the column totals
// and the summary line are replaced by what the server answers, on failure the card goes back and the
// reason is shown.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function showAlert(board, message, kind, withReload) {
    var box = document.getElementById("board-alerts");
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (kind || "danger") + " alert-dismissible d-flex flex-wrap align-items-center gap-2";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", kind === "warning" ? "board-conflict" : "board-message");
    var text = document.createElement("span");
    text.textContent = message;
    alert.appendChild(text);
    if (withReload) {
      var reload = document.createElement("a");
      reload.className = "btn btn-sm btn-outline-dark";
      reload.href = window.location.href;
      reload.textContent = board.dataset.msgReload;
      alert.appendChild(reload);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", board.dataset.msgClose || "Close");
    alert.appendChild(close);
    box.prepend(alert);
  }

  function updateTotals(board, columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var column = board.querySelector(".board-column[data-stage='" + stageId + "']");
      if (!column) { return; }
      var totals = columns[stageId];
      column.querySelector("[data-role=count]").textContent = totals.count;
      column.querySelector("[data-role=amount]").textContent = totals.amount;
      column.querySelector("[data-role=weighted]").textContent = totals.weighted;
    });
  }

  // The line above the board (open deals, total, weighted total), server-rendered like the card.
  function updateSummary(html) {
    var line = document.querySelector("[data-testid=board-summary]");
    if (!line || !html) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    if (holder.firstElementChild) { line.replaceWith(holder.firstElementChild); }
  }

  // Put a card back where it was (same list, same position).
  function putBack(card, from, index) {
    var select = card.querySelector("select[name=stage]");
    if (select) { select.value = ""; }
    var sibling = from.children[index] || null;
    if (sibling === card) { return; }
    from.insertBefore(card, sibling);
  }

  function move(board, card, stageId, reason, from, index) {
    var body = new URLSearchParams(board.dataset.filters || "");
    body.set("stage", stageId);
    body.set("version", card.dataset.version);
    if (reason) { body.set("reason", reason); }
    card.classList.add("board-card-busy");
    return fetch(card.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (data) {
        card.classList.remove("board-card-busy");
        if (response.ok && data.ok) {
          var holder = document.createElement("div");
          holder.innerHTML = data.card;  // server-rendered, escaped HTML of this card
          var fresh = holder.firstElementChild;
          var target = board.querySelector(".board-cards[data-stage='" + data.stage + "']");
          if (target && card.parentNode !== target) { target.prepend(card); }
          card.replaceWith(fresh);
          if (window.htmx) { window.htmx.process(fresh); }
          updateTotals(board, data.columns);
          updateSummary(data.summary);
          return;
        }
        putBack(card, from, index);
        var conflict = response.status === 409;
        var message = data.error || (board.dataset.msgError + " (" + response.status + ")");
        showAlert(board, conflict ? (data.error || board.dataset.msgConflict) : message,
          conflict ? "warning" : "danger", conflict);
      });
    }).catch(function () {
      card.classList.remove("board-card-busy");
      putBack(card, from, index);
      showAlert(board, board.dataset.msgNetwork, "danger", false);
    });
  }

  // A move into a lost stage asks for the reason first; cancelling puts the card back.
  function askReason(then, cancel) {
    var modalEl = document.getElementById("lost-reason-modal");
    if (!modalEl || !window.bootstrap) {
      var typed = window.prompt(modalEl ? modalEl.querySelector(".modal-title").textContent : "?");
      if (typed && typed.trim()) { then(typed.trim()); } else { cancel(); }
      return;
    }
    var form = modalEl.querySelector("form");
    var input = modalEl.querySelector("input[name=reason]");
    var modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
    var done = false;
    input.value = "";
    function onSubmit(e) {
      e.preventDefault();
      if (!input.value.trim()) { input.classList.add("is-invalid"); input.focus(); return; }
      done = true;
      input.classList.remove("is-invalid");
      modal.hide();
      then(input.value.trim());
    }
    function onHidden() {
      form.removeEventListener("submit", onSubmit);
      modalEl.removeEventListener("hidden.bs.modal", onHidden);
      if (!done) { cancel(); }
    }
    form.addEventListener("submit", onSubmit);
    modalEl.addEventListener("hidden.bs.modal", onHidden);
    modalEl.addEventListener("shown.bs.modal", function () { input.focus(); }, { once: true });
    modal.show();
  }

  function start(board) {
    board.querySelectorAll(".board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "board",
        draggable: ".board-card.movable",
        // The whole card is the handle, its title link too (a click without movement still opens
        // it; Sortable swallows the click that ends a drag). Only the "Move to…" form is left alone.
        filter: ".no-drag, select, button, input",
        preventOnFilter: false,
        forceFallback: true,  // mouse-driven drags behave the same in every browser (and in tests)
        fallbackOnBody: true,
        animation: 150,
        ghostClass: "board-card-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to) { return; }  // the order inside a column means nothing
          var card = evt.item, from = evt.from, index = evt.oldIndex, stageId = evt.to.dataset.stage;
          if (evt.to.dataset.lost) {
            askReason(function (reason) { move(board, card, stageId, reason, from, index); },
              function () { putBack(card, from, index); });
          } else {
            move(board, card, stageId, "", from, index);
          }
        }
      });
    });
    // The card's "Move to…" form (keyboard, phone): the same request without dragging.
    board.addEventListener("submit", function (e) {
      var form = e.target.closest(".board-move-form");
      if (!form) { return; }
      e.preventDefault();
      var card = form.closest(".board-card");
      var select = form.querySelector("select[name=stage]");
      var from = card.parentNode;
      var index = Array.prototype.indexOf.call(from.children, card);
      if (!select.value || select.value === from.dataset.stage) { return; }
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.lost) {
        askReason(function (reason) { move(board, card, select.value, reason, from, index); }, function () {});
      } else {
        move(board, card, select.value, "", from, index);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector(".board[data-filters]");
    if (board && window.Sortable) { start(board); }
  });
})();
