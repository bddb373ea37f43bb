/* Dashboard charts (ECharts). Data comes from data-series attributes written by the server: no inline script. */
(function () {
  "use strict";

  var PALETTE = ["#1f5fae", "#2e8b57", "#c98a00", "#c93c37", "#6d4bb5", "#e07b24", "#0f8b8d", "#556372"];

  function parse(el) {
    try {
      return JSON.parse(el.getAttribute("data-series") || "null");
    } catch (e) {
      return null;
    }
  }

  var builders = {
    modules: function (rows) {
      return {
        color: PALETTE,
        grid: { left: 110, right: 40, top: 10, bottom: 20 },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
        series: [{
          type: "bar", name: "处置率", barMaxWidth: 18,
          data: rows.map(function (r) { return r.rate; }),
          label: { show: true, position: "right", formatter: function (p) { return p.value == null ? "—" : p.value + "%"; } }
        }]
      };
    },
    months: function (d) {
      return {
        color: PALETTE,
        legend: { top: 0 },
        grid: { left: 40, right: 50, top: 36, bottom: 30 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.months },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
        series: [
          { type: "bar", name: "上报", data: d.reported },
          { type: "bar", name: "处置", data: d.handled },
          { type: "bar", name: "结案", data: d.resolved },
          { type: "line", name: "处置率", yAxisIndex: 1, data: d.handling_rate, connectNulls: true }
        ]
      };
    },
    days: function (d) {
      return {
        color: PALETTE,
        legend: { top: 0 },
        grid: { left: 40, right: 20, top: 30, bottom: 30 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "line", name: "上报", data: d.day_reported, smooth: true },
          { type: "line", name: "提交整改", data: d.day_handled, smooth: true },
          { type: "line", name: "核查通过", data: d.day_resolved, smooth: true }
        ]
      };
    }
  };

  function init() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = parse(el);
      var build = builders[el.getAttribute("data-chart")];
      if (!data || !build) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data));
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
