// The pledge console: one ES module over the JSON API (docs/api.md). The token lives in sessionStorage
// and travels in the Authorization header only, never in a URL; every text is set as text, never as HTML.

const TOKEN_KEY = "pledge.token";
const PAGE_SIZE = 50;
const REFRESH_MS = (window.PLEDGE_REFRESH_SECONDS ?? 30) * 1000;
const STATES = ["Met", "AtRisk", "Breached", "NoData"];
const SVG_NS = "http://www.w3.org/2000/svg";
const main = document.getElementById("main");
let leaveView = () => {};
let visit = 0; // bumped by every navigation: a view whose answers come back after the next one draws nothing

// ---- DOM -------------------------------------------------------------------------------------------

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
const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

function show(...children) {
  main.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
}

// ---- API -------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) { super(`${status}: ${detail}`); this.status = status; }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);
const enc = encodeURIComponent;
const slaPath = (ns, name) => `/v1/slas/${enc(ns)}/${enc(name)}`;

async function request(path, accept = "application/json", bearer = token()) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${bearer}`, Accept: accept } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 && bearer === token()) signOut("Your session ended: the token was not accepted.");
    throw new ApiError(response.status, body.detail ?? response.statusText);
  }
  return response;
}
const api = async (path) => (await request(path)).json();

// Every item of a paged route (/v1/slas, /v1/details), a page of the API's largest limit at a time.
async function allPages(path) {
  const items = [];
  for (let offset = 0; offset !== null;) {
    const page = await api(`${path}?limit=1000&offset=${offset}`);
    items.push(...page.items);
    offset = page.next_offset;
  }
  return items;
}
const allSlas = () => allPages("/v1/slas");

async function predictionsByKey() {
  const found = await api("/v1/predictions").catch(() => ({ items: [] }));
  return new Map(found.items.map((p) => [rowKey(p.namespace, p.name, p.objective, p.group), p]));
}

// ---- formatting ------------------------------------------------------------------------------------

const groupText = (group) => Object.entries(group).sort().map(([k, v]) => `${k}=${v}`).join(", ");
const rowKey = (ns, name, objective, group) => `${ns}/${name}/${objective}/${groupText(group)}`;
const percent = (ratio, digits = 3) => (ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(digits)} %`);
const times = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(2)}×`);
const count = (x) => (x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en"));
const when = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—");
const stateCell = (state) => h("td", { class: `state state-${state}`, text: state });
const link = (href, text) => h("a", { href, text });
const slaLink = (ns, name) => link(`#/sla/${enc(ns)}/${enc(name)}`, `${ns}/${name}`);

function table(caption, headers, rows) {
  return h("table", {}, h("caption", { class: "muted", text: caption }),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: x.endsWith(" ") ? "num" : null, text: x.trim() })))),
    h("tbody", {}, rows));
}

// ---- sign-in ---------------------------------------------------------------------------------------

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  leaveView();
  showSignIn(reason);
}

function showSignIn(reason) {
  document.getElementById("nav").hidden = true;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "signin-help" });
  const error = h("p", { class: "error", role: "alert", id: "signin-error", text: reason ?? "" });
  const submit = async (event) => {
    event.preventDefault();
    try {
      await request("/v1/slas?limit=1", "application/json", input.value.trim());
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      route();
    } catch (failure) {
      error.textContent = failure.status === 401 ? "That token is not valid." : `Sign-in failed (${failure.message}).`;
      input.focus();
    }
  };
  show(h("form", { class: "card signin", onsubmit: submit, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: "Sign in to pledge" }),
    h("label", { for: "token", text: "API token" }), input,
    h("p", { class: "muted", id: "signin-help", text: "A token from the API's tokens file. It is kept in this tab only and sent in a header, never in a URL." }),
    h("button", { class: "primary", type: "submit", text: "Sign in" }), error));
  input.focus();
}

// ---- SLA list --------------------------------------------------------------------------------------

const listState = { search: "", namespace: "", owner: "", customer: "", tier: "", state: "", order: "asc", page: 0 };
const FILTERS = ["namespace", "owner", "customer", "tier", "state"];

function rowsOf(slas) {
  return slas.flatMap((s) => s.objectives.map((o) => ({
    ns: s.namespace, name: s.name, owner: s.owner ?? "", tier: s.tier ?? "", objective: o.objective, group: o.group,
    customer: o.group.customer ?? s.customer ?? "", state: o.state, sli: o.sli, target: o.target, budget: o.budget_remaining,
    key: rowKey(s.namespace, s.name, o.objective, o.group),
  })));
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

function listRow(row, prediction) {
  return h("tr", { "data-key": row.key, "data-sla": `${row.ns}/${row.name}` },
    h("td", {}, slaLink(row.ns, row.name)), h("td", { text: row.objective }), h("td", { text: groupText(row.group) || "—" }),
    h("td", { text: row.owner || "—" }), h("td", { text: row.customer || "—" }), h("td", { text: row.tier || "—" }),
    stateCell(row.state), h("td", { class: "num", text: percent(row.sli) }), h("td", { class: "num", text: percent(row.target, 2) }),
    h("td", { class: "num budget", text: percent(row.budget, 1) }), h("td", { class: "num burn", text: "…" }),
    h("td", { class: "alerts", text: "…" }),
    h("td", { class: "num", text: prediction ? prediction.probability.toFixed(2) : "—" }));
}

// The details of one refresh: every SLA's from one bulk read (GET /v1/details), asked on first use and
// shared by every redraw until the next refresh; an SLA's own detail only if that read failed.
function detailsOfRefresh() {
  let bulk = null;
  const single = new Map();
  return async (key) => {
    bulk ??= allPages("/v1/details").then((items) => new Map(items.map((d) => [`${d.namespace}/${d.name}`, d]))).catch(() => null);
    const all = await bulk;
    if (all) return all.get(key) ?? null;
    if (!single.has(key)) single.set(key, api(slaPath(...key.split("/"))).catch(() => null));
    return single.get(key);
  };
}

async function fillDetails(tbody, detailOf) {
  const shown = [...new Set([...tbody.rows].map((tr) => tr.dataset.sla))];
  await Promise.all(shown.map(async (key) => {
    const detail = await detailOf(key);
    for (const objective of detail?.objectives ?? []) {
      const tr = tbody.querySelector(`tr[data-key="${CSS.escape(rowKey(detail.namespace, detail.name, objective.objective, objective.group))}"]`);
      if (!tr) continue;
      tr.querySelector(".burn").textContent = times(objective.burn_rates["1h"]);
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
  const tail = ["burn 1h", "firing alerts", "P(breach)"].map((x) => h("th", { scope: "col", class: x === "firing alerts" ? null : "num", text: x }));
  const sort = h("th", { scope: "col", class: "num", "aria-sort": listState.order === "asc" ? "ascending" : "descending" },
    h("button", { type: "button", id: "sort-budget", onclick: flip }, `budget left ${listState.order === "asc" ? "▲" : "▼"}`));
  return [h("table", { id: "sla-table" }, h("caption", { class: "muted", text: "One row per objective and group, sorted by budget left" }),
    h("thead", {}, h("tr", {}, head, sort, tail)),
    h("tbody", { id: "sla-rows" }, visible.slice(first, first + PAGE_SIZE).map((r) => listRow(r, predictions.get(r.key))))),
  h("div", { class: "pager" },
    h("button", { type: "button", id: "previous", disabled: listState.page === 0, onclick: turn(-1), text: "Previous" }),
    h("span", { id: "shown", text: `rows ${visible.length ? first + 1 : 0}–${Math.min(first + PAGE_SIZE, visible.length)} of ${visible.length} (${rows.length} in all)` }),
    h("button", { type: "button", id: "next", disabled: listState.page >= pages - 1, onclick: turn(1), text: "Next" }))];
}

async function listView() {
  const status = h("p", { class: "muted", role: "status", id: "updated" }, "Loading SLAs…");
  const controls = h("div", { class: "filters", role: "search" }), area = h("div", {});
  show(h("h1", { text: "Service level agreements" }), status, controls, area);
  let rows = [], predictions = new Map(), details = detailsOfRefresh();
  const redraw = () => {
    const focused = area.contains(document.activeElement) ? document.activeElement.id : null;
    area.replaceChildren(...listTable(rows, predictions, redraw));
    if (focused) document.getElementById(focused)?.focus();
    fillDetails(document.getElementById("sla-rows"), details);
  };
  const load = async () => {
    try {
      const slas = await allSlas();
      rows = rowsOf(slas); details = detailsOfRefresh();
      filterControls(controls, rows, redraw);
      status.textContent = `${slas.length} SLAs, updated ${new Date().toLocaleTimeString("en-GB")}; refreshes every ${REFRESH_MS / 1000} s`;
      redraw();
      predictionsByKey().then((found) => { predictions = found; redraw(); });
    } catch (failure) {
      status.textContent = `Could not load the SLAs: ${failure.message}`;
    }
  };
  let timer = null, left = false;
  leaveView = () => { left = true; clearInterval(timer); };
  await load();
  if (!left) timer = setInterval(load, REFRESH_MS);
}

// ---- charts ----------------------------------------------------------------------------------------

const CHART = { width: 640, height: 200, left: 56, right: 10, top: 10, bottom: 24 };

function chart({ title, points, start, end, format, refs = [], shaded = [], episodes = [], even = false }) {
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

function episodesOf(points) {
  const found = [];
  for (const p of points) {
    if (p.burn !== null && p.burn > 1) {
      if (found.length && found[found.length - 1][1] === p.prev) found[found.length - 1][1] = p.t;
      else found.push([p.prev, p.t]);
    }
  }
  return found;
}

// ---- SLA detail ------------------------------------------------------------------------------------

const BURN_DOWN_POINTS = 24;

// The period so far at BURN_DOWN_POINTS moments up to the detail's, as the API computes it
// (GET .../burndown: each point a report of the period so far); a point's burn is since the point before.
// If the API cannot answer, the charts stay empty and the function's `failure` says why.
async function burnDown(detail) {
  const start = Date.parse(detail.period.start) / 1000;
  let found = { series: [] }, failure = null;
  try {
    found = await api(`${slaPath(detail.namespace, detail.name)}/burndown?points=${BURN_DOWN_POINTS}&at=${enc(detail.at)}`);
  } catch (problem) {
    failure = problem.message;
  }
  const pointsOf = (objective) => {
    const series = found.series.find((s) => s.objective === objective.objective && groupText(s.group) === groupText(objective.group));
    return (series?.points ?? []).map((p, i, all) => ({ t: Date.parse(p.t) / 1000, prev: i ? Date.parse(all[i - 1].t) / 1000 : start,
      sli: p.sli, budget: p.budget_remaining, burn: p.burn_rate }));
  };
  return Object.assign(pointsOf, { failure });
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v ?? "—" })]));
}

function promql(query) {
  return h("details", {}, h("summary", { text: "PromQL" }), h("pre", {}, h("code", { text: query })));
}

function tierTable(objective, definition) {
  const rows = definition.tiers.map((tier) => {
    const firing = objective.alerts.some((a) => a.labels.burn_tier === tier.name);
    const burn = (w) => times(objective.burn_rates[w]);
    return h("tr", { "data-tier": tier.name },
      h("td", { text: tier.name }), h("td", { text: tier.severity }), h("td", { text: `${tier.long_window} / ${tier.short_window}` }),
      h("td", { class: "num", text: `${tier.burn_rate}×` }), h("td", { class: "num", text: burn(tier.long_window) }),
      h("td", { class: "num", text: burn(tier.short_window) }),
      h("td", { class: firing ? "firing" : null, text: firing ? "firing" : "quiet" }),
      h("td", {}, promql(`long:  ${tier.long_query}\nshort: ${tier.short_query}`)));
  });
  return table("Burn rate per alert tier (a tier fires when both windows burn faster than its threshold)",
    ["tier", "severity", "long / short window", "threshold ", "burn long ", "burn short ", "alert", "query"], rows);
}

function creditTable(objective, definition) {
  const rows = definition.credits.map((c) => h("tr", {}, h("td", { text: `below ${c.below} %` }), h("td", { class: "num", text: `${c.percent} %` })));
  const cap = definition.credit_cap ? `, capped at ${definition.credit_cap} %` : "";
  return [table(`Service credits${cap}`, ["SLI", "credit "], rows),
    h("p", {}, "Owed if the period ended now: ", h("strong", { class: "owed", text: objective.credit_percent === null ? "—" : `${objective.credit_percent} %` }))];
}

function objectiveSection(detail, objective, points, definition) {
  const start = Date.parse(detail.period.start) / 1000, end = Date.parse(detail.period.end) / 1000;
  const shaded = detail.period.excluded.map(([a, b]) => [Date.parse(a) / 1000, Date.parse(b) / 1000]);
  const episodes = episodesOf(points);
  const calendar = detail.window.startsWith("calendar");
  const title = `${objective.objective}${Object.keys(objective.group).length ? ` (${groupText(objective.group)})` : ""}`;
  const q = definition.queries;
  return h("section", { class: "card", "aria-label": title },
    h("h2", {}, title, " ", h("span", { class: `state state-${objective.state}`, text: objective.state })),
    facts([["SLI", percent(objective.sli)], ["target", percent(objective.target, 2)], ["warning", percent(objective.warning, 2)],
      ["budget left", percent(objective.budget_remaining, 1)], ["events (bad / valid)", `${count(objective.events_bad)} / ${count(objective.events_total)}`],
      ["budget in events (left / total)", `${count(objective.budget_events.remaining)} / ${count(objective.budget_events.total)}`],
      ["budget in minutes (left / total)", objective.budget_minutes ? `${objective.budget_minutes.remaining.toFixed(1)} / ${objective.budget_minutes.total.toFixed(1)}` : "—"],
      ["burn now (1h)", times(objective.burn_rates["1h"])], ["burn over the period", times(objective.burn_rates.period)]]),
    promql(`SLI = 1 - ${q["period error ratio (SLI = 1 - it)"]}\nburn 1h = ${q["error ratio 1h"]} / (1 - ${objective.target})`),
    h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch maintenance" }), "maintenance (excluded)"),
      h("span", {}, h("span", { class: "swatch episode" }), "burn episode (budget spent faster than 1× between two points)")),
    h("div", { class: "charts" },
      chart({ title: "SLI over the period", points: points.map((p) => ({ t: p.t, v: p.sli })), start, end: calendar ? end : Date.parse(detail.at) / 1000,
        format: (v) => percent(v, 2), refs: [{ value: objective.target, label: `target ${percent(objective.target, 2)}` }], shaded, episodes }),
      chart({ title: "Error budget left", points: points.map((p) => ({ t: p.t, v: p.budget })), start, end: calendar ? end : Date.parse(detail.at) / 1000,
        format: (v) => percent(v, 0), refs: [{ value: 0, label: "budget spent (SLI at target)" }], shaded, episodes, even: calendar })),
    h("h3", { text: "Burn rate and alerts" }), tierTable(objective, definition),
    h("p", {}, "Firing now: ", h("span", { class: "alerts", text: objective.alerts.map((a) => `${a.name}${a.severity ? ` (${a.severity})` : ""}`).join(", ") || "none" })),
    promql(q["firing alerts"]),
    h("h3", { text: "Credits" }), creditTable(objective, definition));
}

async function detailView(ns, name) {
  const mine = visit;
  show(h("p", { role: "status", text: `Loading ${ns}/${name}…` }));
  let detail;
  try {
    detail = await api(slaPath(ns, name));
  } catch (failure) {
    return show(h("h1", { text: `${ns}/${name}` }), h("p", { class: "error", role: "alert", text: failure.status === 404 ? "No such SLA (or not yours to see)." : failure.message }));
  }
  const [definition, pointsOf] = await Promise.all([api(`${slaPath(ns, name)}/definition`), burnDown(detail)]);
  if (mine !== visit) return;
  const exclusions = definition.exclusions.map((e) => h("li", {}, e.reason ? h("strong", { text: `${e.reason}: ` }) : "no reason given: ",
    Object.entries(e).filter(([k]) => k !== "reason").map(([k, v]) => `${k} ${v}`).join(", ")));
  const excluded = detail.period.excluded.map(([a, b]) => h("li", { text: `${when(a)} – ${when(b)}` }));
  show(h("p", { class: "no-print" }, link("#/", "← all SLAs")),
    h("h1", { text: `${ns}/${name}` }),
    facts([["service", detail.service], ["owner", detail.owner], ["customer", detail.customer], ["tier", detail.tier], ["window", detail.window],
      ["period", `${detail.period.label}: ${when(detail.period.start)} – ${when(detail.period.end)}`], ["figures as of", when(detail.at)], ["source", detail.source]]),
    pointsOf.failure ? h("p", { class: "error", role: "alert", id: "burndown-failure",
      text: `The charts are empty: the period's burn-down could not be read (${pointsOf.failure}). The figures above are current.` }) : null,
    detail.objectives.map((o) => objectiveSection(detail, o, pointsOf(o), definition)),
    h("section", { class: "card", "aria-labelledby": "exclusions-title" }, h("h2", { id: "exclusions-title", text: "Exclusions" }),
      exclusions.length ? h("ul", {}, exclusions) : h("p", { class: "muted", text: "No planned maintenance." }),
      h("h3", { text: `Excluded in this period so far (${(detail.period.excluded_seconds / 3600).toFixed(1)} h)` }),
      excluded.length ? h("ul", {}, excluded) : h("p", { class: "muted", text: "None." })),
    h("section", { class: "card", "aria-labelledby": "queries-title" }, h("h2", { id: "queries-title", text: "PromQL behind the figures" }),
      h("dl", {}, Object.entries(definition.queries).map(([k, v]) => [h("dt", { text: k }), h("dd", {}, h("pre", {}, h("code", { text: v })))]))),
    definition.yaml ? h("section", { class: "card", "aria-labelledby": "yaml-title" }, h("h2", { id: "yaml-title", text: "The SLA" }),
      h("pre", { id: "sla-yaml" }, h("code", { text: definition.yaml }))) : null);
}

// ---- customer view and reports ---------------------------------------------------------------------

function monthsBefore(iso, n) {
  const at = new Date(iso);
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - i - 1, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}

const ownRows = (report, customer) => report.rows.filter((r) => r.events_total > 0 && (report.customer === customer || r.group.customer === customer));

async function reportsOf(slas, customer, periods) {
  const asks = slas.flatMap((s) => periods.map((period) =>
    api(`${slaPath(s.namespace, s.name)}/report?period=${enc(period)}`).then((r) => ({ sla: s, period, report: r })).catch(() => null)));
  return (await Promise.all(asks)).filter((x) => x && ownRows(x.report, customer).length);
}

async function downloadCsv(ns, name, period) {
  const response = await request(`${slaPath(ns, name)}/report?period=${enc(period)}`, "text/csv");
  const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/csv" }));
  const a = h("a", { href: url, download: `${ns}-${name}-${period}.csv` });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function reportRows(found, customer, withCsv) {
  return found.flatMap(({ sla, period, report }) => ownRows(report, customer).map((r) => h("tr", {},
    h("td", {}, slaLink(sla.namespace, sla.name)), h("td", { text: period }), h("td", { text: r.objective }), h("td", { text: groupText(r.group) || "—" }),
    h("td", { class: "num", text: percent(r.sli) }), h("td", { class: "num", text: percent(r.target, 2) }), stateCell(r.state),
    h("td", { class: "num credit", text: r.credit_percent === null ? "—" : `${r.credit_percent} %` }),
    withCsv ? h("td", {}, h("button", { type: "button", "aria-label": `CSV of ${sla.namespace}/${sla.name} ${period}`, onclick: () => downloadCsv(sla.namespace, sla.name, period), text: "CSV" })) : null)));
}

function customerSlas(slas, customer) {
  return slas.filter((s) => s.customer === customer || s.objectives.some((o) => o.group.customer === customer));
}

async function customerContext(customer) {
  const slas = await allSlas();
  const customers = [...new Set(rowsOf(slas).map((r) => r.customer).filter(Boolean))].sort();
  const chosen = customer ?? customers[0];
  const mine = customerSlas(slas, chosen);
  const at = mine.length ? (await api(slaPath(mine[0].namespace, mine[0].name))).at : new Date().toISOString();
  return { slas, customers, chosen, mine, at };
}

async function customerView(customer) {
  const current = visit;
  show(h("p", { role: "status", text: "Loading…" }));
  const { customers, chosen, mine, at } = await customerContext(customer);
  if (current !== visit) return;
  if (!chosen) return show(h("h1", { text: "Customers" }), h("p", { text: "No customer SLAs are visible with this token." }));
  const periods = monthsBefore(at, 3);
  const reports = await reportsOf(mine, chosen, periods);
  if (current !== visit) return;
  const picker = h("select", { id: "customer-pick", onchange: (e) => { location.hash = `#/customer/${enc(e.target.value)}`; } },
    customers.map((c) => h("option", { value: c, text: c, selected: c === chosen })));
  const rows = rowsOf(mine).filter((r) => r.customer === chosen).map((r) => h("tr", {}, h("td", {}, slaLink(r.ns, r.name)), h("td", { text: r.objective }),
    stateCell(r.state), h("td", { class: "num", text: percent(r.sli) }), h("td", { class: "num", text: percent(r.target, 2) }), h("td", { class: "num", text: percent(r.budget, 1) })));
  const forecasts = h("div", { id: "predictions", "aria-busy": "true" }, h("p", { class: "muted", text: "Forecasting…" }));
  show(h("h1", {}, "Customer ", h("span", { id: "customer-name", text: chosen })),
    h("label", { class: "no-print" }, "customer ", picker),
    h("section", { class: "card", "aria-labelledby": "risk-title" }, h("h2", { id: "risk-title", text: "Breach predictions, most likely first" }), forecasts),
    h("section", { class: "card", "aria-labelledby": "own-title" }, h("h2", { id: "own-title", text: `${chosen}'s SLAs now` }),
      table("Current period", ["SLA", "objective", "state", "SLI ", "target ", "budget left "], rows)),
    h("section", { class: "card", "aria-labelledby": "reports-title" }, h("h2", { id: "reports-title", text: "Past periods and credits owed" }),
      h("p", {}, "Monthly reports: ", periods.map((p) => [link(`#/report/${enc(chosen)}/${p}`, p), " "])),
      table("Reports of the last three months", ["SLA", "period", "objective", "group", "SLI ", "target ", "state", "credit ", "download"], reportRows(reports, chosen, true))));
  const found = await api(`/v1/predictions?customer=${enc(chosen)}`).catch(() => ({ items: [] }));
  forecasts.replaceChildren(found.items.length ? h("ul", {}, found.items.map(predictionItem)) : h("p", { text: "No prediction for this customer yet." }));
  forecasts.removeAttribute("aria-busy");
}

function predictionItem(p) {
  const expected = p.breach_at ? ` Expected around ${when(p.breach_at)} (between ${when(p.breach_earliest)} and ${when(p.breach_latest)}).` : "";
  return h("li", { class: "message" }, h("span", { text: p.message }), h("span", { class: "muted", text: expected }));
}

async function reportPage(customer, period) {
  const current = visit;
  show(h("p", { role: "status", text: "Loading the report…" }));
  const { mine } = await customerContext(customer);
  const reports = await reportsOf(mine, customer, [period]);
  if (current !== visit) return;
  const owed = reports.flatMap(({ report }) => ownRows(report, customer).map((r) => Number(r.credit_percent ?? 0)));
  show(h("p", { class: "no-print" }, link(`#/customer/${enc(customer)}`, `← ${customer}`), " ",
    h("button", { type: "button", onclick: () => window.print(), text: "Print or save as PDF" })),
    h("article", { class: "report-page" },
      h("h1", { text: `Service level report: ${customer}, ${period}` }),
      h("p", { text: `Compliance of every SLA with ${customer} over ${period}, in each SLA's time zone. Planned maintenance is excluded.` }),
      table(`${period}`, ["SLA", "period", "objective", "group", "SLI ", "target ", "state", "credit "], reportRows(reports, customer, false)),
      h("p", {}, "Highest credit owed this period: ", h("strong", { id: "report-owed", text: `${Math.max(0, ...owed)} %` })),
      h("p", { class: "muted", text: `Generated by pledge from the series in Prometheus; ${reports.length} report(s).` })));
}

// ---- routing ---------------------------------------------------------------------------------------

const VIEWS = { "": listView, sla: detailView, customer: customerView, report: reportPage };

async function route() {
  visit += 1;
  leaveView();
  leaveView = () => {};
  if (!token()) return showSignIn();
  document.getElementById("nav").hidden = false;
  const [view, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("#nav a")) {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${view}`);
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  try {
    await (VIEWS[view] ?? listView)(...args);
  } catch (failure) {
    if (token()) show(h("p", { class: "error", role: "alert", text: `Something failed: ${failure.message}` }));
  }
}

document.getElementById("sign-out").addEventListener("click", () => signOut("Signed out."));
document.getElementById("skip").addEventListener("click", (e) => { e.preventDefault(); main.focus(); });
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName)) {
    e.preventDefault();
    document.getElementById("search")?.focus();
  }
});
window.addEventListener("hashchange", route);
route();
