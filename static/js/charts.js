// Charts (Chart.js, served locally): every <canvas data-chart="<id of a json_script>"> becomes a bar chart.
// The data come from the server through json_script (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var COLORS = ["#c2185b", "#f48fb1", "#0d6efd", "#20c997", "#fd7e14", "#6f42c1"];

  function money(value) {
    var lang = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(value) + " ₫";
  }

  function compact(value) {
    var lang = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
    return new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }).format(value);
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || canvas.dataset.drawn) { return; }
    var data = JSON.parse(source.textContent);
    data.datasets.forEach(function (set, i) {
      set.backgroundColor = COLORS[i % COLORS.length];
      set.borderRadius = 4;
    });
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: canvas.dataset.chartType || "bar",
      data: data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + money(ctx.parsed.y); } } }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return compact(v); } } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
