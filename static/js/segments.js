// The segment rule builder: draws the rule tree held (as JSON) in the form's hidden "rules" input, with the
// fields, operators and choices the page embeds (json_script: segment-catalogue, segment-options,
// segment-labels), writes the JSON back on every change and, 400 ms after the last one, asks the server
// how many contacts the rules select (POST /api/v1/segments/count/). Every word shown comes from the page
// (translated there); nothing from the data is ever inserted as HTML. The server checks the rules again on
// save: this is a convenience.
(function () {
  "use strict";

  var MAX_DEPTH = 3; // groups nest at most 3 deep below the top one (segment_rules.MAX_DEPTH)
  var DEBOUNCE_MS = 400;
  var NO_VALUE_OPS = ["is_empty", "is_not_empty", "is_true", "is_false", "this_month"];
  var LIST_KINDS = ["choice", "multi", "ref", "tags", "campaign"];
  var ID_KINDS = ["ref", "tags", "campaign"];

  function readJSON(id, fallback) {
    var node = document.getElementById(id);
    if (!node) { return fallback; }
    try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
  }

  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  // A DOM element; `attrs.text` becomes its text (never HTML), other keys attributes.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; } else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: String(value), text: label });
    if (selected) { node.selected = true; }
    return node;
  }

  // What a rule's value looks like for its field's kind and operator.
  function shapeOf(kind, op) {
    if (kind === "bool" || NO_VALUE_OPS.indexOf(op) !== -1) { return "none"; }
    if (kind === "text") { return "text"; }
    if (LIST_KINDS.indexOf(kind) !== -1) { return "list"; }
    if (kind === "date") { return op === "between" ? "dates" : (op === "before" || op === "after") ? "date" : "days"; }
    if (kind === "number") { return op === "between" ? "numbers" : "number"; }
    if (kind === "birthday") { return op === "in_month" ? "month" : "days"; }
    return kind; // consent, activity, purchase: an object of settings
  }

  function defaultValue(shape) {
    switch (shape) {
      case "text": case "date": case "number": return "";
      case "list": return [];
      case "dates": case "numbers": return ["", ""];
      case "days": return 30;
      case "month": return new Date().getMonth() + 1;
      case "consent": return { channel: "email", purpose: "marketing" };
      case "activity": return { kind: "", days: 30 };
      case "purchase": return {};
      default: return undefined;
    }
  }

  // A typed number as a number; anything else as typed (the server names the mistake).
  function numberOrText(text) {
    var trimmed = String(text).trim();
    if (trimmed === "") { return ""; }
    var number = Number(trimmed);
    return isFinite(number) ? number : trimmed;
  }

  // Any stored value as a well-formed group (what cannot be read starts again empty).
  function normalise(node) {
    if (!isObject(node) || !Array.isArray(node.rules)) { return { match: "all", rules: [] }; }
    return {
      match: node.match === "any" ? "any" : "all",
      rules: node.rules.map(function (child) {
        if (isObject(child) && Array.isArray(child.rules)) { return normalise(child); }
        return isObject(child) ? child : { field: "", op: "" };
      })
    };
  }

  function init() {
    var root = document.getElementById("segment-builder");
    if (!root) { return; }
    var form = root.closest("form");
    var hidden = form.querySelector("[data-segment-rules]");
    var countBox = form.querySelector("[data-testid=segment-count]");
    var errorBox = form.querySelector("[data-testid=segment-count-error]");
    var catalogue = readJSON("segment-catalogue", []);
    var options = readJSON("segment-options", {});
    var L = readJSON("segment-labels", {});
    var fields = {};
    catalogue.forEach(function (f) { fields[f.key] = f; });

    var tree;
    try { tree = normalise(JSON.parse(hidden.value || "{}")); } catch (e) { tree = normalise(null); }

    // --- counting ---------------------------------------------------------------------------------------
    var timer = null;
    var sequence = 0;
    var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "vi");

    function csrfToken() {
      var input = form.querySelector("[name=csrfmiddlewaretoken]");
      if (input) { return input.value; }
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      return match ? decodeURIComponent(match[1]) : "";
    }

    function showCount(n) {
      countBox.textContent = L.count.replace("%s", numberFormat.format(n));
      countBox.setAttribute("data-count", String(n));
      errorBox.textContent = "";
      errorBox.hidden = true;
    }

    function showError(message) {
      countBox.textContent = "—";
      countBox.setAttribute("data-count", "");
      errorBox.textContent = message;
      errorBox.hidden = false;
    }

    function messageOf(body) {
      if (isObject(body)) {
        var rules = isObject(body.errors) ? body.errors.rules : null;
        if (Array.isArray(rules) && rules.length) { return rules.join(" "); }
        if (typeof body.message === "string" && body.message) { return body.message; }
        if (typeof body.detail === "string" && body.detail) { return body.detail; }
      }
      return L.count_failed;
    }

    function incomplete(node) {
      return node.rules.some(function (child) {
        return Array.isArray(child.rules) ? incomplete(child) : !child.field;
      });
    }

    function count() {
      var mine = ++sequence;
      if (incomplete(tree)) {
        countBox.textContent = "…";
        countBox.setAttribute("data-count", "");
        errorBox.hidden = true;
        return;
      }
      fetch(root.getAttribute("data-count-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ rules: tree })
      }).then(function (response) {
        return response.json().then(
          function (body) { return { ok: response.ok, body: body }; },
          function () { return { ok: false, body: null }; }
        );
      }).then(function (answer) {
        if (mine !== sequence) { return; } // a later change is being counted
        if (answer.ok && isObject(answer.body) && typeof answer.body.count === "number") {
          showCount(answer.body.count);
        } else {
          showError(messageOf(answer.body));
        }
      }).catch(function () {
        if (mine === sequence) { showError(L.count_failed); }
      });
    }

    function changed() {
      hidden.value = JSON.stringify(tree);
      clearTimeout(timer);
      countBox.textContent = L.counting;
      timer = setTimeout(count, DEBOUNCE_MS);
    }

    // --- drawing ------------------------------------------------------------------------------------------
    function redraw() {
      var focused = document.activeElement && document.activeElement.getAttribute("data-key");
      root.replaceChildren(drawGroup(tree, 0, null, "r"));
      if (focused) {
        var again = root.querySelector("[data-key='" + focused + "']");
        if (again) { again.focus(); }
      }
    }

    function structural() { redraw(); changed(); }

    function drawGroup(group, depth, parent, key) {
      var top = depth === 0;
      var match = el("select", {
        "class": "form-select form-select-sm w-auto",
        "aria-label": L.all + " / " + L.any,
        "data-testid": top ? "segment-match" : "segment-group-match",
        "data-key": key + ":match"
      }, [option("all", L.all, group.match !== "any"), option("any", L.any, group.match === "any")]);
      match.addEventListener("change", function () { group.match = match.value; changed(); });

      var header = el("div", { "class": "d-flex flex-wrap align-items-center gap-2 mb-2" }, [
        match, el("span", { "class": "small text-muted", text: L.match_hint })
      ]);
      if (!top) {
        var removeGroup = el("button", {
          type: "button", "class": "btn btn-sm btn-outline-danger ms-auto", "data-testid": "segment-remove-group",
          title: L.remove_group, "aria-label": L.remove_group
        }, [el("i", { "class": "bi bi-x-lg" })]);
        removeGroup.addEventListener("click", function () {
          parent.rules.splice(parent.rules.indexOf(group), 1);
          structural();
        });
        header.appendChild(removeGroup);
      }

      var body = el("div", { "data-testid": top ? "segment-rules" : "segment-group-rules" });
      if (!group.rules.length) {
        body.appendChild(el("p", { "class": "small text-muted mb-2", text: top ? L.empty : L.empty_group }));
      }
      group.rules.forEach(function (child, i) {
        var childKey = key + "." + i;
        body.appendChild(Array.isArray(child.rules) ? drawGroup(child, depth + 1, group, childKey) : drawRule(child, group, childKey));
      });

      var addRule = el("button", {
        type: "button", "class": "btn btn-sm btn-outline-secondary",
        "data-testid": top ? "segment-add-rule" : "segment-group-add-rule", "data-key": key + ":add-rule"
      }, [el("i", { "class": "bi bi-plus-lg" }), document.createTextNode(" " + L.add_rule)]);
      addRule.addEventListener("click", function () {
        group.rules.push({ field: "", op: "" });
        structural();
        var selects = root.querySelectorAll("[data-key='" + key + "." + (group.rules.length - 1) + ":field']");
        if (selects.length) { selects[0].focus(); }
      });
      var footer = el("div", { "class": "d-flex flex-wrap gap-2" }, [addRule]);
      if (depth < MAX_DEPTH) {
        var addGroup = el("button", {
          type: "button", "class": "btn btn-sm btn-outline-secondary",
          "data-testid": top ? "segment-add-group" : "segment-group-add-group", "data-key": key + ":add-group"
        }, [el("i", { "class": "bi bi-diagram-3" }), document.createTextNode(" " + L.add_group)]);
        addGroup.addEventListener("click", function () {
          group.rules.push({ match: "any", rules: [{ field: "", op: "" }] });
          structural();
        });
        footer.appendChild(addGroup);
      }
      return el("div", {
        "class": top ? "segment-group" : "segment-group border rounded bg-body-tertiary p-2 mb-2",
        "data-testid": top ? "segment-root" : "segment-group"
      }, [header, body, footer]);
    }

    function fieldSelect(rule, key) {
      var select = el("select", {
        "class": "form-select form-select-sm", "aria-label": L.field, "data-testid": "segment-field", "data-key": key + ":field"
      });
      if (!rule.field) { select.appendChild(option("", L.choose_field, true)); }
      if (rule.field && !fields[rule.field]) {
        select.appendChild(option(rule.field, L.unknown_field.replace("%s", String(rule.field)), true));
      }
      var groups = {};
      catalogue.forEach(function (f) {
        if (!groups[f.group]) {
          groups[f.group] = el("optgroup", { label: f.group || "—" });
          select.appendChild(groups[f.group]);
        }
        groups[f.group].appendChild(option(f.key, f.label, f.key === rule.field));
      });
      select.addEventListener("change", function () {
        var spec = fields[select.value];
        rule.field = select.value;
        rule.op = spec ? spec.ops[0].key : "";
        rule.value = spec ? defaultValue(shapeOf(spec.kind, rule.op)) : undefined;
        if (rule.value === undefined) { delete rule.value; }
        structural();
      });
      return select;
    }

    function opSelect(rule, spec, key) {
      var select = el("select", {
        "class": "form-select form-select-sm", "aria-label": L.operator, "data-testid": "segment-op", "data-key": key + ":op"
      });
      var known = spec.ops.some(function (o) { return o.key === rule.op; });
      if (!known && rule.op) { select.appendChild(option(rule.op, String(rule.op), true)); }
      spec.ops.forEach(function (o) { select.appendChild(option(o.key, o.label, o.key === rule.op)); });
      select.addEventListener("change", function () {
        var before = shapeOf(spec.kind, rule.op);
        rule.op = select.value;
        var after = shapeOf(spec.kind, rule.op);
        if (before !== after) {
          rule.value = defaultValue(after);
          if (rule.value === undefined) { delete rule.value; }
        }
        structural();
      });
      return select;
    }

    function drawRule(rule, group, key) {
      var spec = fields[rule.field];
      var remove = el("button", {
        type: "button", "class": "btn btn-sm btn-outline-danger", "data-testid": "segment-remove",
        title: L.remove, "aria-label": L.remove
      }, [el("i", { "class": "bi bi-x-lg" })]);
      remove.addEventListener("click", function () {
        group.rules.splice(group.rules.indexOf(rule), 1);
        structural();
      });
      var cells = [el("div", { "class": "col-md-4" }, [fieldSelect(rule, key)])];
      if (spec) {
        cells.push(el("div", { "class": "col-md-3" }, [opSelect(rule, spec, key)]));
        cells.push(el("div", { "class": "col-md-4" }, [valueEditor(rule, spec, key)]));
      } else {
        cells.push(el("div", { "class": "col-md-7" }));
      }
      cells.push(el("div", { "class": "col-md-1 text-md-end" }, [remove]));
      return el("div", { "class": "row g-2 align-items-start mb-2", "data-testid": "segment-rule" }, cells);
    }

    // --- value editors ------------------------------------------------------------------------------------
    function input(type, value, testid, key, label, onChange, extra) {
      var attrs = {
        type: type, "class": "form-control form-control-sm", "data-testid": testid, "data-key": key,
        "aria-label": label
      };
      Object.keys(extra || {}).forEach(function (k) { attrs[k] = extra[k]; });
      var node = el("input", attrs);
      node.value = value === undefined || value === null ? "" : String(value);
      node.addEventListener("input", function () { onChange(node.value); });
      node.addEventListener("change", function () { onChange(node.value); });
      return node;
    }

    function labelled(text, control) {
      return el("label", { "class": "d-block small mb-1" }, [
        el("span", { "class": "text-muted", text: text }), control
      ]);
    }

    function choiceList(spec, ref) {
      if (ID_KINDS.indexOf(spec.kind) !== -1 || ref) {
        return (options[ref || spec.ref] || []).map(function (o) { return { value: String(o.id), label: o.name }; });
      }
      return spec.choices.map(function (c) { return { value: String(c.value), label: c.label }; });
    }

    // A multi-select; ids come back as numbers for the lists of records.
    function multiSelect(choices, chosen, asIds, testid, key, label, onChange) {
      var picked = (Array.isArray(chosen) ? chosen : chosen === undefined || chosen === "" ? [] : [chosen]).map(String);
      var select = el("select", {
        "class": "form-select form-select-sm", multiple: true, size: String(Math.min(6, Math.max(3, choices.length))),
        "data-testid": testid, "data-key": key, "aria-label": label
      });
      var present = {};
      choices.forEach(function (c) {
        present[c.value] = true;
        select.appendChild(option(c.value, c.label, picked.indexOf(c.value) !== -1));
      });
      picked.forEach(function (v) { if (!present[v]) { select.appendChild(option(v, "#" + v, true)); } });
      select.addEventListener("change", function () {
        var values = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
          .map(function (o) { return asIds ? numberOrText(o.value) : o.value; });
        onChange(values);
      });
      return select;
    }

    function pair(rule, type, key) {
      var values = Array.isArray(rule.value) && rule.value.length === 2 ? rule.value.slice() : ["", ""];
      rule.value = values;
      function set(i, v) { values[i] = type === "number" ? numberOrText(v) : v; changed(); }
      return el("div", { "class": "d-flex flex-column gap-1" }, [
        input(type, values[0], "segment-value", key + ":value", L.from, function (v) { set(0, v); }, { placeholder: L.from }),
        input(type, values[1], "segment-value-to", key + ":value-to", L.to, function (v) { set(1, v); }, { placeholder: L.to })
      ]);
    }

    function selectOf(choices, chosen, testid, key, label, onChange) {
      var select = el("select", { "class": "form-select form-select-sm", "data-testid": testid, "data-key": key, "aria-label": label });
      choices.forEach(function (c) { select.appendChild(option(c.value, c.label, String(c.value) === String(chosen))); });
      select.addEventListener("change", function () { onChange(select.value); });
      return select;
    }

    function valueEditor(rule, spec, key) {
      var shape = shapeOf(spec.kind, rule.op);
      var vkey = key + ":value";
      function set(v) { rule.value = v; changed(); }
      switch (shape) {
        case "none":
          return el("div");
        case "text":
          return input("text", typeof rule.value === "string" || typeof rule.value === "number" ? rule.value : "",
            "segment-value", vkey, L.value, set, { maxlength: "200" });
        case "list":
          return el("div", {}, [
            multiSelect(choiceList(spec), rule.value, ID_KINDS.indexOf(spec.kind) !== -1, "segment-value", vkey, L.value, set),
            el("div", { "class": "form-text", text: L.multi_hint })
          ]);
        case "date":
          return input("date", typeof rule.value === "string" ? rule.value : "", "segment-value", vkey, L.value, set);
        case "dates":
          return pair(rule, "date", key);
        case "numbers":
          return pair(rule, "number", key);
        case "number":
          return input("number", rule.value, "segment-value", vkey, L.value, function (v) { set(numberOrText(v)); }, { step: "any" });
        case "days":
          return el("div", { "class": "input-group input-group-sm" }, [
            input("number", rule.value, "segment-value", vkey, L.days, function (v) { set(numberOrText(v)); }, { min: "0", step: "1" }),
            el("span", { "class": "input-group-text", text: L.days })
          ]);
        case "month": {
          var months = [];
          for (var m = 1; m <= 12; m += 1) { months.push({ value: m, label: L.month + " " + m }); }
          return selectOf(months, rule.value, "segment-value", vkey, L.month, function (v) { set(Number(v)); });
        }
        case "consent": {
          var consent = isObject(rule.value) ? rule.value : defaultValue("consent");
          rule.value = consent;
          return el("div", {}, [
            labelled(L.channel, selectOf(L.channels, consent.channel, "segment-value", vkey, L.channel,
              function (v) { consent.channel = v; changed(); })),
            labelled(L.purpose, selectOf(L.purposes, consent.purpose || "marketing", "segment-value-purpose",
              key + ":purpose", L.purpose, function (v) { consent.purpose = v; changed(); }))
          ]);
        }
        case "activity": {
          var activity = isObject(rule.value) ? rule.value : defaultValue("activity");
          rule.value = activity;
          var kinds = [{ value: "", label: L.any_activity }].concat(L.activity_kinds);
          return el("div", {}, [
            labelled(L.activity_kind, selectOf(kinds, activity.kind || "", "segment-value", vkey, L.activity_kind,
              function (v) { activity.kind = v; changed(); })),
            labelled(L.in_last_days, input("number", activity.days, "segment-value-days", key + ":days", L.in_last_days,
              function (v) { activity.days = numberOrText(v); changed(); }, { min: "0", step: "1" }))
          ]);
        }
        case "purchase": {
          var purchase = isObject(rule.value) ? rule.value : {};
          rule.value = purchase;
          var setting = function (name, v) {
            if (v === "" || (Array.isArray(v) && !v.length)) { delete purchase[name]; } else { purchase[name] = v; }
            changed();
          };
          var number = function (name, label) {
            return labelled(label, input("number", purchase[name], "segment-value-" + name, key + ":" + name, label,
              function (v) { setting(name, numberOrText(v)); }, { min: "0", step: "1" }));
          };
          return el("div", {}, [
            labelled(L.product, multiSelect(choiceList(spec, "product"), purchase.product, true, "segment-value",
              vkey, L.product, function (v) { setting("product", v); })),
            labelled(L.category, multiSelect(choiceList(spec, "category"), purchase.category, true,
              "segment-value-category", key + ":category", L.category, function (v) { setting("category", v); })),
            number("min_amount", L.min_amount),
            number("within_days", L.within_days),
            number("more_than_days_ago", L.more_than_days_ago)
          ]);
        }
        default:
          return el("div");
      }
    }

    redraw();
    changed();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
