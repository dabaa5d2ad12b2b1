// The dispatch board: rows = technicians, columns = the day's half hours (07:00–19:00) or the week's days;
// the work orders waiting for a technician on the side. Native HTML5 drag and drop: a card dropped on a
// technician's slot is posted to the server (dispatch/move/) with its version; the server answers the
// updated card, or a 409/400 with the reason — then the card goes back and the reason is shown.
// No inline script (CSP): the first board comes from a json_script block, the others from dispatch/data/.
(function () {
  "use strict";

  var root = document.getElementById("dispatch");
  if (!root) { return; }
  var grid = root.querySelector(".dispatch-grid");
  var side = root.querySelector(".dispatch-unassigned");
  var countBadge = root.querySelector("[data-testid=unassigned-count]");
  var form = document.getElementById("dispatch-filters");
  var board = JSON.parse(document.getElementById("dispatch-data").textContent);
  var dragged = null;  // the item being dragged

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function hhmm(minutes) { return pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60); }

  // "2026-12-05" + 570 → "2026-12-05T09:30" (the business's local time: the server reads it so).
  function localStamp(day, minutes) {
    var extraDays = Math.floor(minutes / 1440);
    var date = day;
    if (extraDays) {
      var d = new Date(day + "T00:00:00Z");
      d.setUTCDate(d.getUTCDate() + extraDays);
      date = d.toISOString().slice(0, 10);
    }
    return date + "T" + hhmm(minutes % 1440);
  }

  function showAlert(message, kind, withReload) {
    var box = document.getElementById("dispatch-alerts");
    var alert = el("div", "alert alert-" + (kind || "danger") + " alert-dismissible d-flex flex-wrap align-items-center gap-2");
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "dispatch-message");
    alert.appendChild(el("span", "", message));
    if (withReload) {
      var reload = el("a", "btn btn-sm btn-outline-dark", root.dataset.msgReload);
      reload.href = window.location.href;
      alert.appendChild(reload);
    }
    var close = el("button", "btn-close");
    close.type = "button";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", root.dataset.msgClose || "Close");
    alert.appendChild(close);
    box.prepend(alert);
  }

  // --- drawing -----------------------------------------------------------------------------------

  function card(item, compact) {
    var node = el(item.url ? "a" : "div", "dispatch-card");
    if (!item.visible) {
      node.classList.add("dispatch-busy");
      node.appendChild(el("span", "", item.title));
      return node;
    }
    node.href = item.url;
    node.classList.add("dispatch-kind-" + item.kind);
    node.dataset.id = item.id;
    node.dataset.status = item.status;
    node.dataset.testid = "dispatch-card";
    node.setAttribute("data-testid", "dispatch-card");
    node.title = [item.number, item.title, item.customer, item.address, item.kind_label, item.status_label]
      .filter(Boolean).join("\n");
    if (item.movable) {
      node.draggable = true;
      node.addEventListener("dragstart", function (event) {
        dragged = item;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(item.id));
        window.setTimeout(function () { root.classList.add("dispatch-dragging"); }, 0);
      });
      node.addEventListener("dragend", function () {
        root.classList.remove("dispatch-dragging");
        clearOver();
      });
    } else {
      node.classList.add("dispatch-fixed");
    }
    var head = el("div", "dispatch-card-head");
    if (item.start_minute !== null && compact) {
      head.appendChild(el("span", "dispatch-card-time", hhmm(item.start_minute)));
    }
    head.appendChild(el("strong", "", item.number));
    // "Scheduled" is every card's state until the technician sets off: only the others are marked.
    if (item.status !== "scheduled") {
      head.appendChild(el("span", "badge dispatch-status dispatch-status-" + item.status, item.status_label));
    }
    node.appendChild(head);
    node.appendChild(el("div", "dispatch-card-line", item.customer || item.title));
    if (item.province) { node.appendChild(el("div", "dispatch-card-line text-muted", item.province)); }
    return node;
  }

  function dropTarget(node, techId, slot) {
    node.dataset.drop = "slot";
    node.dataset.tech = techId;
    node.dataset.slot = slot;
  }

  function overlaps(absence, day, fromMinute, toMinute) {
    var start = new Date(absence.start).getTime();
    var end = new Date(absence.end).getTime();
    // The day's bounds in the business's time zone, from the offset the server wrote on the absence.
    var offset = absence.start.slice(-6);
    var from = new Date(localStamp(day, fromMinute) + ":00" + offset).getTime();
    var to = new Date(localStamp(day, toMinute) + ":00" + offset).getTime();
    return start < to && end > from;
  }

  function drawDay(rows) {
    var day = board.days[0].date;
    var firstMinute = board.hours[0] * 60;
    var slotMinutes = board.slot_minutes;
    var slots = (board.hours[1] - board.hours[0]) * 60 / slotMinutes;
    grid.style.setProperty("--slots", slots);
    var header = el("div", "dispatch-row dispatch-header");
    header.appendChild(el("div", "dispatch-name", root.dataset.msgTechnician));
    var hours = el("div", "dispatch-lane");
    for (var h = board.hours[0]; h < board.hours[1]; h++) {
      var label = el("div", "dispatch-hour", pad(h) + ":00");
      label.style.gridColumn = ((h - board.hours[0]) * 60 / slotMinutes + 1) + " / span " + (60 / slotMinutes);
      hours.appendChild(label);
    }
    header.appendChild(hours);
    grid.appendChild(header);
    rows.forEach(function (tech) {
      var row = el("div", "dispatch-row");
      row.dataset.tech = tech.id;
      row.setAttribute("data-testid", "dispatch-row");
      row.appendChild(techName(tech));
      var lane = el("div", "dispatch-lane");
      for (var s = 0; s < slots; s++) {
        var minute = firstMinute + s * slotMinutes;
        var cell = el("div", "dispatch-slot" + (minute % 60 === 0 ? " dispatch-slot-hour" : ""));
        cell.style.gridColumn = String(s + 1);
        dropTarget(cell, tech.id, localStamp(day, minute));
        cell.setAttribute("data-testid", "dispatch-slot");
        lane.appendChild(cell);
      }
      board.absences.filter(function (a) { return a.technician === tech.id; }).forEach(function (a) {
        var from = null, to = null;
        for (var s2 = 0; s2 < slots; s2++) {
          var m = firstMinute + s2 * slotMinutes;
          if (overlaps(a, day, m, m + slotMinutes)) {
            if (from === null) { from = s2; }
            to = s2;
          }
        }
        if (from === null) { return; }
        var block = el("div", "dispatch-absence", root.dataset.msgAbsent + (a.note ? " · " + a.note : ""));
        block.style.gridColumn = (from + 1) + " / " + (to + 2);
        block.setAttribute("data-testid", "dispatch-absence");
        lane.appendChild(block);
      });
      board.items.filter(function (i) { return i.technician === tech.id && i.day <= day; }).forEach(function (item) {
        // A job from the day before (a night job) starts at midnight here.
        var earlier = item.day < day;
        var startMinute = earlier ? 0 : item.start_minute;
        var endMinute = item.start_minute + item.minutes - (earlier ? 1440 : 0);
        var from = Math.min(Math.max(Math.floor((startMinute - firstMinute) / slotMinutes), 0), slots - 1);
        var to = Math.min(Math.max(Math.ceil((endMinute - firstMinute) / slotMinutes), from + 1), slots);
        var node = card(item, false);
        node.style.gridColumn = (from + 1) + " / " + (to + 1);
        lane.appendChild(node);
      });
      row.appendChild(lane);
      grid.appendChild(row);
    });
  }

  function drawWeek(rows) {
    grid.style.setProperty("--slots", board.days.length);
    var header = el("div", "dispatch-row dispatch-header");
    header.appendChild(el("div", "dispatch-name", root.dataset.msgTechnician));
    var daysRow = el("div", "dispatch-lane dispatch-week");
    board.days.forEach(function (d) {
      daysRow.appendChild(el("div", "dispatch-hour" + (d.date === board.today ? " dispatch-today" : ""), d.label));
    });
    header.appendChild(daysRow);
    grid.appendChild(header);
    rows.forEach(function (tech) {
      var row = el("div", "dispatch-row");
      row.dataset.tech = tech.id;
      row.setAttribute("data-testid", "dispatch-row");
      row.appendChild(techName(tech));
      var lane = el("div", "dispatch-lane dispatch-week");
      board.days.forEach(function (d) {
        var cell = el("div", "dispatch-slot dispatch-day" + (d.date === board.today ? " dispatch-today" : ""));
        dropTarget(cell, tech.id, d.date);
        cell.setAttribute("data-testid", "dispatch-slot");
        var away = board.absences.filter(function (a) {
          return a.technician === tech.id && overlaps(a, d.date, board.hours[0] * 60, board.hours[1] * 60);
        });
        if (away.length) {
          cell.classList.add("dispatch-absent");
          var note = el("div", "dispatch-absence", root.dataset.msgAbsent + (away[0].note ? " · " + away[0].note : ""));
          note.setAttribute("data-testid", "dispatch-absence");
          cell.appendChild(note);
        }
        board.items.filter(function (i) { return i.technician === tech.id && i.day === d.date; })
          .forEach(function (item) { cell.appendChild(card(item, true)); });
        lane.appendChild(cell);
      });
      row.appendChild(lane);
      grid.appendChild(row);
    });
  }

  function techName(tech) {
    var cell = el("div", "dispatch-name");
    var dot = el("span", "dispatch-dot");
    dot.style.backgroundColor = tech.color;
    cell.appendChild(dot);
    cell.appendChild(el("span", "fw-semibold", tech.name));
    var detail = tech.skills.concat(tech.provinces).join(", ");
    if (detail) { cell.appendChild(el("div", "small text-muted", detail)); }
    return cell;
  }

  function draw() {
    grid.textContent = "";
    side.textContent = "";
    grid.classList.toggle("dispatch-grid-week", board.view === "week");
    if (!board.technicians.length) {
      grid.appendChild(el("p", "text-muted p-2", root.dataset.msgNoTechnicians));
    } else if (board.view === "week") {
      drawWeek(board.technicians);
    } else {
      drawDay(board.technicians);
    }
    side.appendChild(el("p", "small text-muted dispatch-side-hint", root.dataset.msgDropHere));
    if (!board.unassigned.length) { side.appendChild(el("p", "small text-muted", root.dataset.msgNone)); }
    board.unassigned.forEach(function (item) { side.appendChild(card(item, true)); });
    if (board.unassigned_count > board.unassigned.length) {
      side.appendChild(el("p", "small text-muted", (board.unassigned_count - board.unassigned.length) + " " + root.dataset.msgMore));
    }
    countBadge.textContent = board.unassigned_count;
    root.dataset.view = board.view;
    root.dataset.start = board.start;
  }

  // --- loading -----------------------------------------------------------------------------------

  function query(start) {
    var params = new URLSearchParams(new FormData(form));
    params.set("start", start || board.start);
    return params;
  }

  function load(start) {
    var params = query(start);
    return fetch(root.dataset.dataUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.ok) { throw new Error(body.error || root.dataset.msgError); }
        board = body;
        form.elements.start.value = board.start;
        window.history.replaceState(null, "", window.location.pathname + "?" + query(board.start).toString());
        draw();
      });
    }).catch(function (error) { showAlert(error.message || root.dataset.msgNetwork, "danger", false); });
  }

  // --- moving ------------------------------------------------------------------------------------

  function clearOver() {
    Array.prototype.forEach.call(root.querySelectorAll(".dispatch-over"), function (n) {
      n.classList.remove("dispatch-over");
    });
  }

  function replaceItem(item) {
    board.items = board.items.filter(function (i) { return i.id !== item.id; });
    var before = board.unassigned.length;
    board.unassigned = board.unassigned.filter(function (i) { return i.id !== item.id; });
    board.unassigned_count -= before - board.unassigned.length;
    if (item.technician === null || item.start === null) {
      board.unassigned.push(item);
      board.unassigned_count += 1;
    } else {
      board.items.push(item);
    }
  }

  function move(item, target) {
    var body = new URLSearchParams();
    body.set("work_order", item.id);
    body.set("version", item.version);
    if (target.dataset.drop === "slot") {
      var slot = target.dataset.slot;
      var start;
      if (slot.length > 10) {
        start = slot;  // day view: the slot's time
      } else {
        // Week view: the day, at the card's time of day (08:00 for a card that had none).
        start = localStamp(slot, item.start_minute === null ? 8 * 60 : item.start_minute);
      }
      var startDay = start.slice(0, 10);
      var startMinute = parseInt(start.slice(11, 13), 10) * 60 + parseInt(start.slice(14, 16), 10);
      body.set("technician", target.dataset.tech);
      body.set("start", start);
      body.set("end", localStamp(startDay, startMinute + item.minutes));
    } else {
      body.set("technician", "");
    }
    root.classList.add("dispatch-busy-board");
    return fetch(root.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok && answer.ok) {
          replaceItem(answer.item);
        } else {
          showAlert(answer.error || root.dataset.msgError, response.status === 409 ? "warning" : "danger",
            Boolean(answer.conflict));
        }
      }, function () { showAlert(root.dataset.msgError, "danger", false); });
    }, function () {
      showAlert(root.dataset.msgNetwork, "danger", false);
    }).then(function () {
      root.classList.remove("dispatch-busy-board");
      draw();  // the card is where the server says it is: moved, or back where it was
    });
  }

  function targetOf(node) {
    return node && node.closest ? node.closest("[data-drop]") : null;
  }

  root.addEventListener("dragover", function (event) {
    var target = targetOf(event.target);
    if (!dragged || !target) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("dispatch-over")) {
      clearOver();
      target.classList.add("dispatch-over");
    }
  });

  root.addEventListener("drop", function (event) {
    var target = targetOf(event.target);
    if (!dragged || !target) { return; }
    event.preventDefault();
    var item = dragged;
    dragged = null;
    root.classList.remove("dispatch-dragging");
    clearOver();
    if (target.dataset.drop === "unassign" && item.technician === null) { return; }
    move(item, target);
  });

  // --- navigation and filters ---------------------------------------------------------------------

  document.querySelectorAll("[data-nav]").forEach(function (button) {
    button.addEventListener("click", function () {
      var where = button.dataset.nav;
      load(where === "today" ? board.today : board[where]);
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load(board.start);
  });
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () { load(board.start); });
  });

  draw();
}());
