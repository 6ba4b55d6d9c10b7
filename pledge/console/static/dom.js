// Building the page: every text is set as text, never as HTML.

import { explain } from "./api.js";
import { groupText } from "./format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const main = document.getElementById("main");

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "text") element.textContent = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : String(child));
  }
  return element;
}
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

export function show(...children) {
  main.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
}

/** A failure on the page, in words: what could not be read, and why. */
export const problem = (what, failure, attrs = {}) => h("p", { class: "error", role: "alert", ...attrs, text: `${what}: ${explain(failure)}.` });

export const link = (href, text) => h("a", { href, text });
export const slaLink = (ns, name) => link(`#/sla/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`, `${ns}/${name}`);
export const stateCell = (state) => h("td", { class: `state state-${state}`, text: state });
export const groupCell = (group) => h("td", { text: groupText(group) || "—" });

export function table(caption, headers, rows, attrs = {}) {
  return h("table", attrs, h("caption", { class: "muted", text: caption }),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: x.endsWith(" ") ? "num" : null, text: x.trim() })))),
    h("tbody", {}, rows));
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v ?? "—" })]));
}

export function promql(query) {
  return h("details", {}, h("summary", { text: "PromQL" }), h("pre", {}, h("code", { text: query })));
}
