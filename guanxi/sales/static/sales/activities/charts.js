// Draws the sales dashboard charts with the locally served Apache ECharts. Each chart is a
// <div class="chart" data-chart-source="ID"> whose data is the json_script tag #ID:
// {labels: [...], series: [{name, type, data, yAxisIndex?}], percentAxis?: bool}.
(function () {
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart-source]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chartSource);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var yAxis = [{ type: "value" }];
      if (data.percentAxis) yAxis.push({ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } });
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { data: data.series.map(function (s) { return s.name; }) },
        grid: { left: 60, right: data.percentAxis ? 60 : 20, top: 40, bottom: 40 },
        xAxis: { type: "category", data: data.labels },
        yAxis: yAxis,
        series: data.series.map(function (s) {
          return { name: s.name, type: s.type, yAxisIndex: s.yAxisIndex || 0, connectNulls: true,
                   data: s.data.map(function (v) { return v === null ? null : Number(v); }) };
        })
      });
    });
  }
  window.guanxiSalesCharts = draw;
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
