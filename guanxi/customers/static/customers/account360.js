// Draws the 24-month order chart of the 360° page with the locally served Apache ECharts.
(function () {
  function draw() {
    var el = document.getElementById("account-chart");
    var data = document.getElementById("account-series");
    if (!el || !data || !window.echarts) return;
    var series = JSON.parse(data.textContent);
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [el.dataset.amountLabel, el.dataset.profitLabel] },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: series.labels },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.amountLabel, type: "bar", data: series.amount.map(Number) },
        { name: el.dataset.profitLabel, type: "line", data: series.profit.map(Number) }
      ]
    });
  }
  window.guanxiAccountChart = draw;
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("DOMContentLoaded", draw);
})();
