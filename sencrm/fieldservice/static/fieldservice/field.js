/* The technician's phone screen, working offline.
 *
 * Every action (status, checklist, part, signature, finish) becomes a change with an id of its own, put in a
 * queue kept in localStorage, and the queue is sent in order to /field/sync/ whenever the connection is there
 * (at once, on the `online` event, on page load). The server applies each change once, whatever the number of
 * times it is sent (sencrm/fieldservice/offline.py); answered changes leave the queue. */
(function () {
  "use strict";
  const root = document.querySelector("[data-field]");
  if (!root) return;
  const KEY = "sen-field-queue";
  const syncUrl = root.dataset.syncUrl;
  const workOrder = root.dataset.workOrder ? parseInt(root.dataset.workOrder, 10) : null;
  const labels = document.querySelector("template[data-labels]");
  const label = (name, n) => {
    const el = labels && labels.content.querySelector("[data-" + name + "]");
    return el ? el.textContent.replace("%(n)s", String(n)) : "";
  };
  let sending = false;

  const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } };
  const save = (queue) => localStorage.setItem(KEY, JSON.stringify(queue));
  const newId = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  const csrf = () => {
    const headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  };

  function showState() {
    const box = root.querySelector("[data-offline-state]");
    if (!box) return;
    const n = load().length;
    if (!n && navigator.onLine) { box.classList.add("d-none"); return; }
    box.classList.remove("d-none");
    box.textContent = navigator.onLine ? label("pending-text", n) : label("offline-text", n);
  }

  function showErrors(messages) {
    const box = root.querySelector("[data-field-errors]");
    if (!box || !messages.length) return;
    box.textContent = messages.join(" ");
    box.classList.remove("d-none");
  }

  function queue(action, data) {
    const list = load();
    list.push({ id: newId(), work_order: workOrder, action: action, data: data, at: new Date().toISOString() });
    save(list);
    showState();
    flush();
  }

  async function flush() {
    const list = load();
    if (sending || !list.length || !navigator.onLine) { showState(); return; }
    sending = true;
    try {
      const response = await fetch(syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ changes: list }),
      });
      if (response.status === 400) {
        const body = await response.json();
        showErrors([body.detail || ""]);
        save(load().filter((c) => !list.some((s) => s.id === c.id)));  // a malformed queue is dropped
      } else if (response.ok) {
        const body = await response.json();
        const answered = new Set(body.results.map((r) => r.id));
        save(load().filter((c) => !answered.has(c.id)));
        showErrors(body.results.filter((r) => r.status_code !== 200 && r.message).map((r) => r.message));
        const mine = body.results.filter((r) => r.work_order_status).pop();
        const badge = root.querySelector("[data-field-status]");
        if (mine && badge) badge.dataset.status = mine.work_order_status;
      }
    } catch (e) {
      /* still offline (or the server is unreachable): the queue stays and is sent later */
    } finally {
      sending = false;
      showState();
    }
  }

  function setBadge(text, status) {
    const badge = root.querySelector("[data-field-status]");
    if (badge) { badge.textContent = text; badge.dataset.pending = status; }
  }

  root.querySelectorAll("[data-status-to]").forEach((button) => {
    button.addEventListener("click", () => {
      const data = { status: button.dataset.statusTo };
      if (button.hasAttribute("data-needs-reason")) {
        const reason = window.prompt(label("reason-text", 0));
        if (!reason) return;
        data.reason = reason;
      }
      setBadge(button.textContent.trim(), data.status);
      queue("status", data);
    });
  });
  root.querySelectorAll("[data-check]").forEach((box) => {
    box.addEventListener("change", () => queue("check", { check: parseInt(box.dataset.check, 10), done: box.checked }));
  });
  const partForm = root.querySelector("form[data-action=part]");
  if (partForm) {
    partForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const select = partForm.elements.product;
      queue("part", { product: parseInt(select.value, 10), quantity: partForm.elements.quantity.value });
      const li = document.createElement("li");
      li.textContent = select.options[select.selectedIndex].text + " × " + partForm.elements.quantity.value;
      root.querySelector("[data-parts]").appendChild(li);
    });
  }
  const finish = root.querySelector("[data-finish]");
  if (finish) {
    finish.addEventListener("click", () => {
      const minutes = root.querySelector("[data-minutes]").value.trim();
      setBadge(finish.textContent.trim(), "done");
      queue("finish", {
        result_notes: root.querySelector("[data-result]").value,
        minutes_spent: minutes && /^\d+$/.test(minutes) ? parseInt(minutes, 10) : null,
      });
    });
  }

  /* The signature pad: a canvas drawn with the finger (pointer events), sent as a PNG data URL. */
  const canvas = root.querySelector("[data-signature]");
  if (canvas) {
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let drawn = false;
    const point = (event) => {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
    };
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true; const [x, y] = point(event); ctx.beginPath(); ctx.moveTo(x, y);
      try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* a synthetic pointer */ }
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return; const [x, y] = point(event); ctx.lineTo(x, y); ctx.stroke(); drawn = true;
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    root.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false;
    });
    root.querySelector("[data-signature-save]").addEventListener("click", () => {
      if (!drawn) { showErrors([label("sign-first", 0)]); return; }
      queue("sign", { image: canvas.toDataURL("image/png"), signed_by: root.querySelector("[data-signed-by]").value });
      root.querySelector("[data-signed]").classList.remove("d-none");
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", showState);
  if ("serviceWorker" in navigator && root.dataset.swUrl) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/field/" }).catch(() => {});
  }
  flush();
})();
