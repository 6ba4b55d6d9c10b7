// The customer view (#/customer/{name}) and the monthly report page (#/report/{customer}/{YYYY-MM}),
// each from bulk routes: GET /v1/slas for the customers, GET /v1/details?customer= for the SLAs now,
// GET /v1/reports?period=&customer= for each month's reports, GET /v1/predictions?customer=, and
// GET /v1/predictions/record?customer= for how the predictions of past months turned out.

import { allPages, api, enc, request, slaPath, trackRecord } from "./api.js";
import { groupCell, h, link, problem, show, slaLink, stateCell, table } from "./dom.js";
import { credit, percent, when } from "./format.js";
import { allSlas, rowsOf } from "./list.js";

const MONTHS = 3;

/** The calendar months before the one of `iso`, latest first, as the API names them (YYYY-MM). */
function monthsBefore(iso, n) {
  const at = new Date(iso);
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - i - 1, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}

// Rows with events only: an SLA that saw no traffic that month owes nothing and says nothing.
const withEvents = (report) => ({ ...report, rows: report.rows.filter((r) => r.events_total > 0) });

/** Every report of `period` with rows of `customer` (the API keeps that customer's rows): one request. */
async function reportsOf(customer, period) {
  const items = await allPages("/v1/reports", { period, customer });
  return items.map(withEvents).filter((r) => r.rows.length);
}

async function downloadCsv(button, report) {
  const { namespace: ns, name } = report, period = report.period.label;
  try {
    const response = await request(`${slaPath(ns, name)}/report?period=${enc(period)}`, "text/csv");
    const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/csv" }));
    const a = h("a", { href: url, download: `${ns}-${name}-${period}.csv` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (failure) {
    button.after(problem(`The CSV of ${ns}/${name} ${period} could not be downloaded`, failure));
  }
}

function reportRows(reports, withCsv) {
  return reports.flatMap((report) => report.rows.map((r) => h("tr", {},
    h("td", {}, slaLink(report.namespace, report.name)), h("td", { text: report.period.label }), h("td", { text: r.objective }), groupCell(r.group),
    h("td", { class: "num", text: percent(r.sli) }), h("td", { class: "num", text: percent(r.target, 2) }), stateCell(r.state),
    h("td", { class: "num credit", text: r.final === false ? `${credit(r.credit_percent)} so far` : credit(r.credit_percent) }),
    withCsv ? h("td", {}, h("button", { type: "button", "aria-label": `CSV of ${report.namespace}/${report.name} ${report.period.label}`,
      onclick: (e) => downloadCsv(e.currentTarget, report), text: "CSV" })) : null)));
}

const EFFECTS = { exclude: "excluded", good: "counted as good", bad: "counted as bad" };

// What judged each report: the terms in force (revisions), the corrections applied with their reasons,
// and, for a closed period corrected after it closed, the figures as first published.
function termsNotes(reports) {
  const items = reports.map((report) => {
    const corrections = report.rows.flatMap((r) => r.corrections.map((c) => h("li", {},
      `${when(c.start)} to ${when(c.end)}: ${EFFECTS[c.effect] ?? c.effect} (${c.category}): ${c.reason}`
      + (c.ref ? ` [${c.ref}]` : "") + (c.approved_by ? `, approved by ${c.approved_by}` : ""))));
    return h("li", { "data-sla": `${report.namespace}/${report.name}` }, slaLink(report.namespace, report.name), ": ",
      report.terms?.words ?? "Judged by the current definition.",
      corrections.length ? h("ul", { class: "corrections" }, corrections) : null,
      report.restatement ? h("p", { class: "message restated", text: report.restatement.words }) : null);
  });
  return h("section", { "aria-labelledby": "terms-title" }, h("h2", { id: "terms-title", text: "Terms in force and corrections" }),
    h("ul", { id: "report-terms" }, items));
}

// The likely range of a breach moment, in words: an open end is said, never shown as a dash.
function breachRange(earliest, latest) {
  if (earliest && latest) return ` (between ${when(earliest)} and ${when(latest)})`;
  if (earliest) return ` (from ${when(earliest)}, no later bound)`;
  if (latest) return ` (by ${when(latest)} at the latest)`;
  return "";
}

function predictionItem(p) {
  const expected = p.breach_at ? ` Expected around ${when(p.breach_at)}${breachRange(p.breach_earliest, p.breach_latest)}.` : "";
  return h("li", { class: "message" }, h("span", { text: p.message }), h("span", { class: "muted", text: expected }));
}

const RECORD_PERIODS = 6;
const days = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(1)} days`);
const decimal = (x, digits = 2) => (x === null || x === undefined ? "—" : x.toFixed(digits));

// The track record: can a prediction be trusted before it is forwarded? The API's words, the reliability
// (of the decisions that said about p, how many were followed by a breach), and the record per SLA.
function recordPanel(record) {
  const fleet = record.fleet;
  const said = h("p", { class: "message", id: "record-words" }, h("strong", { text: "Track record: " }), fleet.words);
  if (!fleet.periods) return [said, h("p", { class: "muted", text: record.how })];
  const bins = fleet.reliability.filter((b) => b.decisions).map((b) => h("tr", {},
    h("td", { text: `${decimal(b.low, 1)}–${decimal(b.high, 1)}` }), h("td", { class: "num", text: String(b.decisions) }),
    h("td", { class: "num", text: percent(b.predicted, 0) }), h("td", { class: "num", text: percent(b.observed, 0) })));
  const rows = record.items.map((r) => h("tr", {}, h("td", {}, slaLink(r.namespace, r.name)), h("td", { text: r.objective }),
    groupCell(r.group), h("td", { class: "num", text: String(r.periods) }), h("td", { class: "num", text: String(r.warned) }),
    h("td", { class: "num", text: String(r.warned_breached) }), h("td", { class: "num", text: String(r.missed) }),
    h("td", { class: "num", text: days(r.median_warning_days) })));
  const skill = `Brier score ${decimal(fleet.brier, 3)} over ${fleet.decisions} daily predictions; `
    + `skill against always saying the base rate (${percent(fleet.base_rate, 0)} of periods breached): ${decimal(fleet.brier_skill)}.`;
  return [said, h("p", { class: "muted", text: skill }),
    table("Reliability: of the daily predictions in each range, how many were followed by a breach",
      ["predicted", "predictions ", "mean predicted ", "breached "], bins, { id: "record-reliability" }),
    table(`The last ${record.periods_back} closed periods per SLA`,
      ["SLA", "objective", "group", "periods ", "warned ", "warned, breached ", "missed ", "median warning "], rows),
    h("p", { class: "muted", text: record.how })];
}

// Fills `box` with what `load` answers, or with the failure in words.
async function fill(box, what, load, draw) {
  try {
    box.replaceChildren(...[draw(await load())].flat());
  } catch (failure) {
    box.replaceChildren(problem(`${what} could not be read`, failure, { "data-failure": what }));
  }
  box.removeAttribute("aria-busy");
}

const busy = (id, text) => h("div", { id, "aria-busy": "true" }, h("p", { class: "muted", text }));

export async function customerView(view, customer) {
  show(h("p", { role: "status", text: "Loading…" }));
  const customers = [...new Set(rowsOf(await allSlas()).map((r) => r.customer).filter(Boolean))].sort();
  const chosen = customer ?? customers[0];
  if (view.stale()) return;
  if (!chosen) return show(h("h1", { text: "Customers" }), h("p", { text: "No customer SLAs are visible with this token." }));
  const details = await allPages("/v1/details", { customer: chosen });
  if (view.stale()) return;
  const at = details[0]?.at ?? new Date().toISOString();
  const periods = monthsBefore(at, MONTHS);
  const picker = h("select", { id: "customer-pick", onchange: (e) => { location.hash = `#/customer/${enc(e.target.value)}`; } },
    customers.map((c) => h("option", { value: c, text: c, selected: c === chosen })));
  const now = details.flatMap((d) => d.objectives.map((o) => h("tr", {}, h("td", {}, slaLink(d.namespace, d.name)), h("td", { text: o.objective }),
    stateCell(o.state), h("td", { class: "num", text: percent(o.sli) }), h("td", { class: "num", text: percent(o.target, 2) }),
    h("td", { class: "num", text: percent(o.budget_remaining, 1) }))));
  const forecasts = busy("predictions", "Forecasting…"), reports = busy("reports", "Reading the reports…");
  const record = busy("record", "Reading the track record…");
  show(h("h1", {}, "Customer ", h("span", { id: "customer-name", text: chosen })),
    h("label", { class: "no-print" }, "customer ", picker),
    h("section", { class: "card", "aria-labelledby": "risk-title" }, h("h2", { id: "risk-title", text: "Breach predictions, most likely first" }), forecasts),
    h("section", { class: "card", "aria-labelledby": "record-title" }, h("h2", { id: "record-title", text: "Track record of these predictions" }), record),
    h("section", { class: "card", "aria-labelledby": "own-title" }, h("h2", { id: "own-title", text: `${chosen}'s SLAs now` }),
      table("Current period", ["SLA", "objective", "state", "SLI ", "target ", "budget left "], now)),
    h("section", { class: "card", "aria-labelledby": "reports-title" }, h("h2", { id: "reports-title", text: "Past periods and credits owed" }),
      h("p", {}, "Monthly reports: ", periods.map((p) => [link(`#/report/${enc(chosen)}/${p}`, p), " "])),
      h("p", {}, link(`#/review/${enc(chosen)}/${periods[0]}`, "Review pack"), " (one document per period to read, sign and keep)"), reports));
  await Promise.all([
    fill(reports, "The reports of the last three months", () => Promise.all(periods.map((p) => reportsOf(chosen, p))),
      (found) => table("Reports of the last three months", ["SLA", "period", "objective", "group", "SLI ", "target ", "state", "credit ", "download"],
        reportRows(found.flat(), true))),
    fill(forecasts, "The breach predictions", () => api(`/v1/predictions?customer=${enc(chosen)}`),
      (found) => (found.items.length ? h("ul", {}, found.items.map(predictionItem)) : h("p", { text: "No prediction for this customer yet." }))),
    fill(record, "The track record", () => trackRecord(chosen, RECORD_PERIODS), recordPanel),
  ]);
}

export async function reportPage(view, customer, period) {
  show(h("p", { role: "status", text: "Loading the report…" }));
  const back = h("p", { class: "no-print" }, link(`#/customer/${enc(customer)}`, `← ${customer}`), " ",
    h("button", { type: "button", onclick: () => window.print(), text: "Print or save as PDF" }));
  const title = h("h1", { text: `Service level report: ${customer}, ${period}` });
  let reports;
  try {
    reports = await reportsOf(customer, period);
  } catch (failure) {
    if (!view.stale()) show(back, title, problem(`The report of ${period} could not be read`, failure));
    return;
  }
  if (view.stale()) return;
  const owed = reports.flatMap((report) => report.rows.map((r) => Number(r.credit_percent ?? 0)));
  const open = reports.some((report) => report.rows.some((r) => r.final === false));
  show(back, h("article", { class: "report-page" }, title,
    h("p", { text: `Compliance of every SLA with ${customer} over ${period}, in each SLA's time zone. Planned maintenance is excluded.` }),
    table(`${period}`, ["SLA", "period", "objective", "group", "SLI ", "target ", "state", "credit "], reportRows(reports, false)),
    h("p", {}, open ? "Highest credit at the figures so far (owed when the period closes): " : "Highest credit owed this period: ",
      h("strong", { id: "report-owed", text: `${Math.max(0, ...owed)} %` })),
    termsNotes(reports),
    h("p", { class: "muted", text: `Generated by pledge from the series in Prometheus; ${reports.length} report(s).` })));
}
