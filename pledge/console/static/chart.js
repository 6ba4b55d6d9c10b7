// Charts as inline SVG: a series over a time range, reference lines, shaded intervals.

import { h, svg } from "./dom.js";
import { when } from "./format.js";

const CHART = { width: 640, height: 200, left: 56, right: 10, top: 10, bottom: 24 };

export function chart({ title, points, start, end, format, refs = [], shaded = [], episodes = [], even = false }) {
  const values = points.map((p) => p.v).filter((v) => v !== null);
  const refValues = [...refs.map((r) => r.value), ...(even ? [0, 1] : [])];
  let low = Math.min(...values, ...refValues), high = Math.max(...values, ...refValues);
  if (!(high > low)) { low = (low || 0) - 0.001; high = (high || 0) + 0.001; }
  const pad = (high - low) * 0.08; low -= pad; high += pad;
  const { width, height, left, right, top, bottom } = CHART;
  const x = (t) => left + ((t - start) / (end - start)) * (width - left - right);
  const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);
  const band = ([a, b], cls) => svg("rect", { class: cls, x: x(Math.max(a, start)), y: top, width: Math.max(1, x(Math.min(b, end)) - x(Math.max(a, start))), height: height - top - bottom });
  const path = points.filter((p) => p.v !== null).map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
  const last = values.length ? format(values[values.length - 1]) : "no data";
  return h("figure", {},
    h("figcaption", { text: title }),
    svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: latest ${last}` },
      shaded.map((s) => band(s, "maintenance")), episodes.map((s) => band(s, "episode")),
      refs.map((r) => svg("line", { class: "ref", x1: left, x2: width - right, y1: y(r.value), y2: y(r.value) })),
      refs.map((r) => svg("text", { x: width - right - 4, y: y(r.value) - 4, "text-anchor": "end", text: r.label })),
      even ? svg("line", { class: "even", x1: x(start), y1: y(1), x2: x(end), y2: y(0) }) : null,
      svg("path", { class: "line", d: path }),
      svg("text", { x: left - 6, y: top + 10, "text-anchor": "end", text: format(high) }),
      svg("text", { x: left - 6, y: height - bottom, "text-anchor": "end", text: format(low) }),
      svg("text", { x: left, y: height - 6, text: when(new Date(start * 1000).toISOString()) }),
      svg("text", { x: width - right, y: height - 6, "text-anchor": "end", text: when(new Date(end * 1000).toISOString()) })));
}

/** The intervals between two points where the budget was spent faster than 1×. */
export function episodesOf(points) {
  const found = [];
  for (const p of points) {
    if (p.burn !== null && p.burn > 1) {
      if (found.length && found[found.length - 1][1] === p.prev) found[found.length - 1][1] = p.t;
      else found.push([p.prev, p.t]);
    }
  }
  return found;
}
