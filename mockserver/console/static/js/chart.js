// A patient's gauge history as an SVG line chart: one row per gauge type on a shared time axis, each on its
// documented scale (schemas/esteem/gauge-type.json). Small and dependency-free; every label is a text node.

import { svg } from "./dom.js";

const SCALES = { pain: [0, 10], medication_adherence: [0, 100] };
const DEFAULT_SCALE = [1, 10];
const COLORS = ["#1d4e89", "#b5462f", "#2f7d4a", "#8a5a00", "#6b3fa0", "#0f7c8c", "#a0325f"];

function day(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** An <svg> of `gauges` (objects with gauge_type, value, recorded_at, notes). */
export function gaugeChart(gauges, { width = 640, rowHeight = 64 } = {}) {
  const byType = new Map();
  for (const gauge of gauges) {
    const at = Date.parse(gauge.recorded_at);
    if (Number.isNaN(at)) continue;
    if (!byType.has(gauge.gauge_type)) byType.set(gauge.gauge_type, []);
    byType.get(gauge.gauge_type).push({ ...gauge, at });
  }
  const types = [...byType.keys()].sort();
  const left = 150;
  const right = 16;
  const top = 8;
  const bottom = 26;
  const height = top + bottom + rowHeight * Math.max(types.length, 1);
  const times = [...byType.values()].flat().map((g) => g.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const span = last - first || 1;
  const x = (at) => left + ((at - first) / span) * (width - left - right);
  const chart = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": `Gauge history: ${types.join(", ")}`,
  });
  if (!types.length) {
    chart.append(svg("text", { x: 8, y: 24 }, "no gauges recorded"));
    return chart;
  }
  types.forEach((type, index) => {
    const points = byType.get(type).sort((a, b) => a.at - b.at);
    const [low, high] = SCALES[type] || DEFAULT_SCALE;
    const rowTop = top + index * rowHeight;
    const y = (value) => rowTop + rowHeight - 10 - ((value - low) / (high - low || 1)) * (rowHeight - 20);
    const color = COLORS[index % COLORS.length];
    const row = svg("g", { class: "series", "data-type": type });
    row.append(
      svg("text", { x: 8, y: rowTop + rowHeight / 2, class: "label" }, type.replaceAll("_", " ")),
      svg("text", { x: left - 6, y: y(high) + 4, class: "tick", "text-anchor": "end" }, String(high)),
      svg("text", { x: left - 6, y: y(low) + 4, class: "tick", "text-anchor": "end" }, String(low)),
      svg("line", { x1: left, x2: width - right, y1: y(low), y2: y(low), class: "axis" }),
      svg("polyline", {
        points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "),
        fill: "none", stroke: color, "stroke-width": 1.5,
      }));
    for (const point of points) {
      row.append(svg("circle", { cx: x(point.at).toFixed(1), cy: y(point.value).toFixed(1), r: 2.5, fill: color },
        svg("title", null, `${type} ${point.value} on ${point.recorded_at}${point.notes ? `: ${point.notes}` : ""}`)));
    }
    chart.append(row);
  });
  const axisY = height - 8;
  chart.append(
    svg("text", { x: left, y: axisY, class: "tick" }, day(first)),
    svg("text", { x: width - right, y: axisY, class: "tick", "text-anchor": "end" }, day(last)));
  return chart;
}
