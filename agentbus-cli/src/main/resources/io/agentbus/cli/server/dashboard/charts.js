// Line charts of the server's history (GET /api/history) on a plain canvas: a y axis with its unit, a time
// axis, a gap where the server had no figures (Redis away), and a legend written as HTML beside the canvas.
"use strict";

const CHART_MIN_SPAN_MS = 5 * 60 * 1000;
const CHART_FONT = "11px system-ui, sans-serif";
const CHART_MARGIN = {left: 52, right: 10, top: 8, bottom: 22};

// The series of each chart: JSON name, legend label, colour.
const RATE_SERIES = [
  ["sent_per_second", "sent", "#3b6fd8"],
  ["acked_per_second", "acked", "#2e9d5b"],
  ["dead_lettered_per_second", "dead-lettered", "#b3261e"],
];
const DEPTH_SERIES = [
  ["backlog", "backlog (unread)", "#9a6700"],
  ["pending", "pending", "#3b6fd8"],
  ["dead_letters", "dead letters", "#b3261e"],
];

// Round steps of 1, 2 or 5 times a power of ten, so the axis reads 0, 20, 40 rather than 0, 17.3, 34.6.
function niceStep(max, ticks) {
  const raw = max / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(f => f * power).find(s => s >= raw);
  return step;
}

function formatTick(value) {
  if (value >= 1e6) { return (value / 1e6).toFixed(value % 1e6 ? 1 : 0) + "M"; }
  if (value >= 1e4) { return (value / 1e3).toFixed(0) + "k"; }
  return String(parseFloat(value.toFixed(value < 1 ? 2 : 1)));
}

function timeLabel(ms) {
  const date = new Date(ms);
  return String(date.getHours()).padStart(2, "0") + ":" + String(date.getMinutes()).padStart(2, "0");
}

// Draws history.series[name] for each [name, label, colour] of `series` into the <figure> `figure`
// (a canvas and a legend), with the y axis in `unit`.
function drawHistoryChart(figure, history, series, unit) {
  const canvas = figure.querySelector("canvas");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = CHART_FONT;

  const times = history.times;
  const end = times.length ? times[times.length - 1] : Date.now();
  const start = Math.min(times.length ? times[0] : end, end - CHART_MIN_SPAN_MS);
  const plot = {
    left: CHART_MARGIN.left, top: CHART_MARGIN.top,
    width: width - CHART_MARGIN.left - CHART_MARGIN.right, height: height - CHART_MARGIN.top - CHART_MARGIN.bottom,
  };
  const shown = series.filter(([name]) => (history.series[name] || []).some(value => value !== null));
  const max = Math.max(1, ...shown.flatMap(([name]) => history.series[name].filter(value => value !== null)));
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const x = ms => plot.left + plot.width * (ms - start) / Math.max(1, end - start);
  const y = value => plot.top + plot.height * (1 - value / top);

  // Y axis: grid lines at round values, the unit above.
  context.strokeStyle = "#e4e6eb";
  context.fillStyle = "#667";
  context.textAlign = "right";
  context.textBaseline = "middle";
  for (let value = 0; value <= top + step / 2; value += step) {
    context.beginPath();
    context.moveTo(plot.left, y(value));
    context.lineTo(plot.left + plot.width, y(value));
    context.stroke();
    context.fillText(formatTick(value), plot.left - 6, y(value));
  }
  context.save();
  context.translate(11, plot.top + plot.height / 2);
  context.rotate(-Math.PI / 2);
  context.textAlign = "center";
  context.fillText(unit, 0, 0);
  context.restore();

  // Time axis: a label every few minutes, on whole minutes.
  context.textAlign = "center";
  context.textBaseline = "top";
  const minute = 60 * 1000;
  const tickEvery = [1, 2, 5, 10, 15, 20, 30, 60].map(m => m * minute).find(t => (end - start) / t <= 6) || 60 * minute;
  for (let tick = Math.ceil(start / tickEvery) * tickEvery; tick <= end; tick += tickEvery) {
    context.fillText(timeLabel(tick), x(tick), plot.top + plot.height + 5);
  }
  context.strokeStyle = "#99a";
  context.beginPath();
  context.moveTo(plot.left, plot.top);
  context.lineTo(plot.left, plot.top + plot.height);
  context.lineTo(plot.left + plot.width, plot.top + plot.height);
  context.stroke();

  // The lines, broken where a value is missing.
  context.lineWidth = 1.5;
  for (const [name, , colour] of shown) {
    const values = history.series[name];
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.beginPath();
    values.forEach((value, i) => {
      if (value === null) { return; }
      const joined = i > 0 && values[i - 1] !== null;
      if (joined) { context.lineTo(x(times[i]), y(value)); } else { context.moveTo(x(times[i]), y(value)); }
      // A point between two gaps has no line to be part of: a dot shows it.
      if (!joined && (i + 1 >= values.length || values[i + 1] === null)) {
        context.fillRect(x(times[i]) - 1.5, y(value) - 1.5, 3, 3);
      }
    });
    context.stroke();
  }
  context.lineWidth = 1;

  // Points with a value in any series: what the chart shows, not the slots of the server's ring.
  canvas.dataset.points = String(times.filter((t, i) => shown.some(([name]) => history.series[name][i] !== null)).length);
  canvas.dataset.max = String(max);
  figure.querySelector(".legend").replaceChildren(...series.map(([name, label, colour]) => {
    const item = document.createElement("li");
    item.dataset.series = name;
    const values = history.series[name] || [];
    const latest = values.length ? values[values.length - 1] : null;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    item.appendChild(swatch);
    // The legend gives the latest value: "–" when the server had none at the last point.
    item.appendChild(document.createTextNode(label + " " + (latest === null ? "–" : formatTick(+latest.toFixed(2)))
      + (values.some(value => value !== null) ? "" : " (no data)")));
    return item;
  }));
}
