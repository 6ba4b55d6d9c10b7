// The SLA list (#/): one row per objective and group, from GET /v1/slas; burn now and alerts from
// GET /v1/details (one request per refresh); P(breach) from GET /v1/predictions.

import { allPages, api, slaPath } from "./api.js";
import { h, problem, show, slaLink } from "./dom.js";
import { STATES, behindWords, groupText, percent, rowKey, times } from "./format.js";

const PAGE_SIZE = 50;
const REFRESH_MS = (window.PLEDGE_REFRESH_SECONDS ?? 30) * 1000;
const FILTERS = ["namespace", "owner", "customer", "tier", "state"];
const listState = { search: "", namespace: "", owner: "", customer: "", tier: "", state: "", order: "asc", page: 0 };
let burnWindow = null; // the API's burn_now_window, the same for every SLA: known once a detail has come back
const burnHead = () => `burn now${burnWindow ? ` (${burnWindow})` : ""}`;

export const allSlas = () => allPages("/v1/slas");

export function rowsOf(slas) {
  return slas.flatMap((s) => s.objectives.map((o) => ({
    ns: s.namespace, name: s.name, owner: s.owner ?? "", tier: s.tier ?? "", objective: o.objective, group: o.group,
    customer: o.group.customer ?? s.customer ?? "", state: o.state, sli: o.sli, target: o.target, budget: o.budget_remaining,
    behind: behindWords(o, s.window_calendar), key: rowKey(s.namespace, s.name, o.objective, o.group),
  })));
}

async function predictionsByKey() {
  const found = await api("/v1/predictions");
  return new Map(found.items.map((p) => [rowKey(p.namespace, p.name, p.objective, p.group), p]));
}

function matches(row) {
  const words = listState.search.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${row.ns}/${row.name} ${row.objective} ${groupText(row.group)} ${row.owner} ${row.customer} ${row.tier}`.toLowerCase();
  return FILTERS.every((f) => !listState[f] || row[f] === listState[f]) && words.every((w) => text.includes(w));
}

function sorted(rows) {
  const sign = listState.order === "asc" ? 1 : -1;
  const value = (r) => (r.budget === null ? Infinity : r.budget * sign);
  return [...rows].sort((a, b) => value(a) - value(b) || a.key.localeCompare(b.key));
}

function optionsOf(field, rows) {
  return field === "state" ? STATES : [...new Set(rows.map((r) => r[field]).filter(Boolean))].sort();
}

function setOptions(select, values, chosen) {
  if (select.dataset.values === JSON.stringify(values)) return;
  select.dataset.values = JSON.stringify(values);
  select.replaceChildren(h("option", { value: "", text: "all" }), ...values.map((v) => h("option", { value: v, text: v, selected: v === chosen })));
}

// Built once per visit, so a refresh never takes the focus or the caret from a control.
function filterControls(controls, rows, redraw) {
  if (!controls.childElementCount) {
    const change = (field) => (e) => { listState[field] = e.target.value; listState.page = 0; redraw(); };
    controls.append(h("label", {}, "search (press /)", h("input", { type: "search", id: "search", value: listState.search,
      placeholder: "name, owner, customer…", oninput: change("search") })),
    ...FILTERS.map((field) => h("label", {}, field, h("select", { id: `filter-${field}`, onchange: change(field) }))));
  }
  for (const field of FILTERS) setOptions(document.getElementById(`filter-${field}`), optionsOf(field, rows), listState[field]);
}

function listRow(row, predictions) {
  const prediction = predictions.found?.get(row.key);
  const probability = prediction ? prediction.probability.toFixed(2) : predictions.failure ? "?" : "—";
  return h("tr", { "data-key": row.key, "data-sla": `${row.ns}/${row.name}` },
    h("td", {}, slaLink(row.ns, row.name)), h("td", { text: row.objective }), h("td", { text: groupText(row.group) || "—" }),
    h("td", { text: row.owner || "—" }), h("td", { text: row.customer || "—" }), h("td", { text: row.tier || "—" }),
    h("td", { class: `state state-${row.state}`, text: row.state, title: row.behind }), h("td", { class: "num", text: percent(row.sli) }), h("td", { class: "num", text: percent(row.target, 2) }),
    h("td", { class: "num budget", text: percent(row.budget, 1) }), h("td", { class: "num burn", text: "…" }),
    h("td", { class: "alerts", text: "…" }),
    h("td", { class: "num", text: probability }));
}

// The details of one refresh: every SLA's from one bulk read (GET /v1/details), asked on first use and
// shared by every redraw until the next refresh. If that read fails, the page says so and asks each SLA
// shown for its own detail (GET /v1/slas/{ns}/{name}); an SLA whose detail fails too is marked and named.
function detailsOfRefresh(report) {
  let bulk = null;
  const single = new Map();
  return async (key) => {
    bulk ??= allPages("/v1/details").then(
      (items) => new Map(items.map((d) => [`${d.namespace}/${d.name}`, d])),
      (failure) => { report("bulk", failure); return null; });
    const all = await bulk;
    if (all) return all.get(key) ?? null;
    if (!single.has(key)) single.set(key, api(slaPath(...key.split("/"))));
    return single.get(key);
  };
}

async function fillDetails(tbody, detailOf, report) {
  const shown = [...new Set([...tbody.rows].map((tr) => tr.dataset.sla))];
  await Promise.all(shown.map(async (key) => {
    let detail;
    try {
      detail = await detailOf(key);
    } catch (failure) {
      if (!tbody.isConnected) return; // the table was left (a redraw, a navigation, a sign-out) while this was read
      report(key, failure);
      for (const tr of tbody.querySelectorAll(`tr[data-sla="${CSS.escape(key)}"]`)) {
        tr.querySelector(".burn").textContent = "?";
        tr.querySelector(".alerts").textContent = "could not be read";
      }
      return;
    }
    if (!tbody.isConnected) return;
    for (const objective of detail?.objectives ?? []) {
      const tr = tbody.querySelector(`tr[data-key="${CSS.escape(rowKey(detail.namespace, detail.name, objective.objective, objective.group))}"]`);
      if (!tr) continue;
      if (burnWindow !== detail.burn_now_window) {
        burnWindow = detail.burn_now_window;
        tbody.closest("table").querySelector("#burn-head").textContent = burnHead();
      }
      tr.querySelector(".burn").textContent = times(objective.burn_now);
      const alerts = objective.alerts.map((a) => (a.labels.burn_tier ? `${a.name} ${a.labels.burn_tier}` : a.name));
      tr.querySelector(".alerts").textContent = alerts.join(", ") || "none";
      tr.querySelector(".alerts").classList.toggle("firing", alerts.length > 0);
    }
  }));
  tbody.dataset.filled = "true";
}

function listTable(rows, predictions, redraw) {
  const visible = sorted(rows.filter(matches));
  const pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
  listState.page = Math.min(listState.page, pages - 1);
  const first = listState.page * PAGE_SIZE;
  const turn = (step) => () => { listState.page += step; redraw(); };
  const flip = () => { listState.order = listState.order === "asc" ? "desc" : "asc"; redraw(); };
  const head = ["SLA", "objective", "group", "owner", "customer", "tier", "state", "SLI", "target"].map((x) => h("th", { scope: "col", text: x }));
  const tail = [h("th", { scope: "col", class: "num", id: "burn-head", text: burnHead() }),
    h("th", { scope: "col", text: "firing alerts" }), h("th", { scope: "col", class: "num", text: "P(breach)" })];
  const sort = h("th", { scope: "col", class: "num", "aria-sort": listState.order === "asc" ? "ascending" : "descending" },
    h("button", { type: "button", id: "sort-budget", onclick: flip }, `budget left ${listState.order === "asc" ? "▲" : "▼"}`));
  return [h("table", { id: "sla-table" }, h("caption", { class: "muted", text: "One row per objective and group, sorted by budget left" }),
    h("thead", {}, h("tr", {}, head, sort, tail)),
    h("tbody", { id: "sla-rows" }, visible.slice(first, first + PAGE_SIZE).map((r) => listRow(r, predictions)))),
  h("div", { class: "pager" },
    h("button", { type: "button", id: "previous", disabled: listState.page === 0, onclick: turn(-1), text: "Previous" }),
    h("span", { id: "shown", text: `rows ${visible.length ? first + 1 : 0}–${Math.min(first + PAGE_SIZE, visible.length)} of ${visible.length} (${rows.length} in all)` }),
    h("button", { type: "button", id: "next", disabled: listState.page >= pages - 1, onclick: turn(1), text: "Next" }))];
}

// The failures of the current refresh, in words above the table (cleared by the next refresh).
function failureList(box) {
  const seen = new Map();
  const what = (key) => (key === "bulk" ? "The burn and alert columns could not be read in one request, so each SLA shown is asked on its own"
    : key === "predictions" ? "P(breach) could not be read (the column shows ?)"
      : key === "slas" ? "The SLAs could not be read (the table shows the last ones read)"
        : `The burn rate and alerts of ${key} could not be read`);
  const report = (key, failure) => {
    seen.set(key, failure);
    box.replaceChildren(...[...seen].map(([k, f]) => problem(what(k), f, { "data-failure": k })));
  };
  return { report, clear: () => { seen.clear(); box.replaceChildren(); } };
}

export async function listView(view) {
  const status = h("p", { class: "muted", role: "status", id: "updated" }, "Loading SLAs…");
  const failures = h("div", { id: "failures" });
  const controls = h("div", { class: "filters", role: "search" }), area = h("div", {});
  show(h("h1", { text: "Service level agreements" }), status, failures, controls, area);
  const { report, clear } = failureList(failures);
  let rows = [], predictions = {}, details = detailsOfRefresh(report);
  const redraw = () => {
    const focused = area.contains(document.activeElement) ? document.activeElement.id : null;
    area.replaceChildren(...listTable(rows, predictions, redraw));
    if (focused) document.getElementById(focused)?.focus();
    fillDetails(area.querySelector("#sla-rows"), details, report);
  };
  const load = async () => {
    let slas;
    try {
      slas = await allSlas();
    } catch (failure) {
      report("slas", failure);
      if (!rows.length) status.textContent = `No SLAs read; trying again every ${REFRESH_MS / 1000} s`;
      return;
    }
    if (view.stale()) return;
    clear();
    rows = rowsOf(slas);
    details = detailsOfRefresh(report);
    filterControls(controls, rows, redraw);
    status.textContent = `${slas.length} SLAs, updated ${new Date().toLocaleTimeString("en-GB")}; refreshes every ${REFRESH_MS / 1000} s`;
    redraw();
    predictionsByKey().then((found) => { predictions = { found }; }, (failure) => { predictions = { failure }; report("predictions", failure); })
      .then(() => { if (!view.stale()) redraw(); });
  };
  let timer = null;
  view.onLeave(() => clearInterval(timer));
  await load();
  if (!view.stale()) timer = setInterval(load, REFRESH_MS);
}
