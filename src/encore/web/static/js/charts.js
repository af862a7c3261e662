// Plain SVG charts: no library, works offline.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text = null) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

// Vertical bars with a label under each; `title` is the chart's accessible name.
export function columnChart(values, labels, { title, unit = "" }) {
  const width = 640;
  const height = 220;
  const top = 10;
  const bottom = 30;
  const max = Math.max(1, ...values);
  const step = width / values.length;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  chart.append(svg("title", {}, title));
  values.forEach((value, i) => {
    const barHeight = ((height - top - bottom) * value) / max;
    const bar = svg("rect", {
      x: i * step + step * 0.15,
      y: height - bottom - barHeight,
      width: step * 0.7,
      height: Math.max(barHeight, value ? 1 : 0),
      class: "bar",
    });
    bar.append(svg("title", {}, `${labels[i]}: ${value}${unit}`));
    chart.append(bar);
    chart.append(svg("text", { x: i * step + step / 2, y: height - 10, "text-anchor": "middle", class: "axis" }, labels[i]));
  });
  return chart;
}

// Horizontal bars for a ranking: name on the left, value on the bar.
export function rankingChart(items, { title, value, unit = "" }) {
  const rowHeight = 28;
  const width = 640;
  const labelWidth = 200;
  const height = Math.max(rowHeight, items.length * rowHeight);
  const max = Math.max(1, ...items.map(value));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  chart.append(svg("title", {}, title));
  items.forEach((item, i) => {
    const y = i * rowHeight;
    const barWidth = ((width - labelWidth - 60) * value(item)) / max;
    chart.append(svg("text", { x: 0, y: y + rowHeight * 0.65, class: "label" }, item.name.slice(0, 28)));
    chart.append(svg("rect", { x: labelWidth, y: y + 4, width: Math.max(barWidth, 1), height: rowHeight - 8, class: "bar" }));
    chart.append(svg("text", { x: labelWidth + barWidth + 6, y: y + rowHeight * 0.65, class: "value" }, `${value(item)}${unit}`));
  });
  return chart;
}
