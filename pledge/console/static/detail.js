// One SLA (#/sla/{ns}/{name}): GET /v1/slas/{ns}/{name} for the figures, .../definition for the tiers,
// credits, exclusions, YAML and PromQL, .../burndown for the charts, .../revisions for the History section.

import { api, enc, revisions, slaPath } from "./api.js";
import { chart, episodesOf } from "./chart.js";
import { facts, h, link, problem, promql, show, table } from "./dom.js";
import { behindWords, count, credit, groupText, percent, times, when } from "./format.js";

const BURN_DOWN_POINTS = 24;

// The period so far at BURN_DOWN_POINTS moments up to the detail's, as the API computes it
// (GET .../burndown: each point a report of the period so far); a point's burn is since the point before.
// If the API cannot answer, the charts stay empty and the function's `failure` says why.
async function burnDown(detail) {
  const start = Date.parse(detail.period.start) / 1000;
  let found = { series: [] }, failure = null;
  try {
    found = await api(`${slaPath(detail.namespace, detail.name)}/burndown?points=${BURN_DOWN_POINTS}&at=${enc(detail.at)}`);
  } catch (unread) {
    failure = unread;
  }
  const pointsOf = (objective) => {
    const series = found.series.find((s) => s.objective === objective.objective && groupText(s.group) === groupText(objective.group));
    return (series?.points ?? []).map((p, i, all) => ({ t: Date.parse(p.t) / 1000, prev: i ? Date.parse(all[i - 1].t) / 1000 : start,
      sli: p.sli, budget: p.budget_remaining, burn: p.burn_rate }));
  };
  return Object.assign(pointsOf, { failure });
}

// The History section: the SLA's revisions, newest first, in words (who, when, what kind, why, what changed).
const KINDS_SAID = "budget-critical: changes what the SLA promises or how a period is judged (targets, window, credits, "
  + "credit cap, exclusions, corrections, objectives added or removed); sli: changes what is measured (the SLI's query); "
  + "cosmetic: changes words only, not the terms; created: the first version.";

// The API's note as a sentence: "no history: …" reads "No history: … ."
const sentence = (text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;

// An answer that never rejects: asked as the page starts, and a failure is said in its section, never lost.
async function settled(answer) {
  try {
    return { found: await answer };
  } catch (failure) {
    return { failure };
  }
}

function revisionRow(r) {
  const why = r.uncommitted ? "uncommitted change (edited in the SLA file, not committed yet)" : (r.reason ?? "no reason given");
  const changed = r.changes_text.length ? h("ul", { class: "history-changes" }, r.changes_text.map((line) => h("li", { text: line })))
    : h("span", { class: "muted", text: r.kind === "created" ? "the first version" : "nothing in the terms" });
  return h("tr", { "data-revision": r.number, "data-kind": r.kind },
    h("td", { class: "num", text: String(r.number) }),
    h("td", {}, h("span", { class: "history-when", text: when(r.accepted_at) }),
      r.uncommitted ? h("div", { class: "muted", text: "the file's time, not committed yet" }) : null),
    h("td", { text: `${r.author ?? "unknown"}${r.tool ? ` (${r.tool})` : ""}` }),
    h("td", {}, h("span", { class: `kind kind-${r.kind}`, text: r.kind })),
    h("td", {}, why, r.commit ? h("div", { class: "muted", text: `commit ${r.commit.slice(0, 12)}` }) : null),
    h("td", {}, changed));
}

function historyPanel(history) {
  if (!history.history_known) {
    return h("p", { class: "message", id: "history-note", text: sentence(history.note ?? "no history: the current definition is the only one known") });
  }
  const n = history.revisions.length;
  return [table(`${n} revision${n === 1 ? "" : "s"}, newest first; the current one is revision ${history.current}`,
    ["revision ", "when", "who", "kind", "why", "what changed"], [...history.revisions].reverse().map(revisionRow), { id: "history-revisions" }),
  history.notes.length ? h("p", { class: "muted", id: "history-notes", text: `Not shown: ${history.notes.join("; ")}.` }) : null,
  h("p", { class: "muted", text: KINDS_SAID })];
}

async function fillHistory(view, box, answer, ns, name) {
  const { found, failure } = await answer;
  if (view.stale()) return;
  let drawn;
  try {
    if (failure) throw failure;
    drawn = historyPanel(found);
  } catch (unread) {
    drawn = problem(`The history of ${ns}/${name} could not be read`, unread, { id: "history-failure" });
  }
  box.replaceChildren(...[drawn].flat().filter((child) => child !== null));
  box.removeAttribute("aria-busy");
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
    h("p", {}, "Owed if the period ended now: ", h("strong", { class: "owed", text: credit(objective.credit_percent) }))];
}

function objectiveSection(detail, objective, points, definition) {
  const start = Date.parse(detail.period.start) / 1000, end = Date.parse(detail.period.end) / 1000;
  const shaded = detail.period.excluded.map(([a, b]) => [Date.parse(a) / 1000, Date.parse(b) / 1000]);
  const episodes = episodesOf(points);
  const calendar = detail.window_kind === "calendar";
  const drawnTo = calendar ? end : Date.parse(detail.at) / 1000;
  const title = `${objective.objective}${Object.keys(objective.group).length ? ` (${groupText(objective.group)})` : ""}`;
  const q = definition.named_queries, now = detail.burn_now_window;
  return h("section", { class: "card", "aria-label": title },
    h("h2", {}, title, " ", h("span", { class: `state state-${objective.state}`, text: objective.state })),
    objective.state === "Behind" ? h("p", { class: "message behind", text: `Behind: ${behindWords(objective, detail.window_calendar)}.` }) : null,
    facts([["SLI", percent(objective.sli)], ["target", percent(objective.target, 2)], ["warning", percent(objective.warning, 2)],
      ["budget left", percent(objective.budget_remaining, 1)], ["events (bad / valid)", `${count(objective.events_bad)} / ${count(objective.events_total)}`],
      ["budget in events (left / total)", `${count(objective.budget_events.remaining)} / ${count(objective.budget_events.total)}`],
      ["budget in minutes (left / total)", objective.budget_minutes ? `${objective.budget_minutes.remaining.toFixed(1)} / ${objective.budget_minutes.total.toFixed(1)}` : "—"],
      [`burn now (${now})`, times(objective.burn_now)], ["burn over the period", times(objective.burn_rates.period)]]),
    promql(`SLI = 1 - ${q.period_error_ratio}\nburn now = ${q[`error_ratio_${now}`]} / (1 - ${objective.target})`),
    h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch maintenance" }), "maintenance (excluded)"),
      h("span", {}, h("span", { class: "swatch episode" }), "burn episode (budget spent faster than 1× between two points)")),
    h("div", { class: "charts" },
      chart({ title: "SLI over the period", points: points.map((p) => ({ t: p.t, v: p.sli })), start, end: drawnTo,
        format: (v) => percent(v, 2), refs: [{ value: objective.target, label: `target ${percent(objective.target, 2)}` }], shaded, episodes }),
      chart({ title: "Error budget left", points: points.map((p) => ({ t: p.t, v: p.budget })), start, end: drawnTo,
        format: (v) => percent(v, 0), refs: [{ value: 0, label: "budget spent (SLI at target)" }], shaded, episodes, even: calendar })),
    h("h3", { text: "Burn rate and alerts" }), tierTable(objective, definition),
    h("p", {}, "Firing now: ", h("span", { class: "alerts", text: objective.alerts.map((a) => `${a.name}${a.severity ? ` (${a.severity})` : ""}`).join(", ") || "none" })),
    promql(q.firing_alerts),
    h("h3", { text: "Credits" }), creditTable(objective, definition));
}

export async function detailView(view, ns, name) {
  show(h("p", { role: "status", text: `Loading ${ns}/${name}…` }));
  const historyAnswer = settled(revisions(ns, name));
  let detail, definition, pointsOf;
  try {
    detail = await api(slaPath(ns, name));
    [definition, pointsOf] = await Promise.all([api(`${slaPath(ns, name)}/definition`), burnDown(detail)]);
  } catch (failure) {
    if (view.stale()) return;
    return show(h("p", { class: "no-print" }, link("#/", "← all SLAs")), h("h1", { text: `${ns}/${name}` }),
      problem(`The SLA ${ns}/${name} could not be shown`, failure));
  }
  if (view.stale()) return;
  const exclusions = definition.exclusions.map((e) => h("li", {}, e.reason ? h("strong", { text: `${e.reason}: ` }) : "no reason given: ",
    Object.entries(e).filter(([k]) => k !== "reason").map(([k, v]) => `${k} ${v}`).join(", ")));
  const excluded = detail.period.excluded.map(([a, b]) => h("li", { text: `${when(a)} – ${when(b)}` }));
  const history = h("div", { id: "history", "aria-busy": "true" }, h("p", { class: "muted", text: "Reading the history…" }));
  show(h("p", { class: "no-print" }, link("#/", "← all SLAs")),
    h("h1", { text: `${ns}/${name}` }),
    facts([["service", detail.service], ["owner", detail.owner], ["customer", detail.customer], ["tier", detail.tier], ["window", detail.window],
      ["period", `${detail.period.label}: ${when(detail.period.start)} – ${when(detail.period.end)}`], ["figures as of", when(detail.at)], ["source", detail.source]]),
    pointsOf.failure ? problem("The charts are empty: the period's burn-down could not be read, the figures below are current",
      pointsOf.failure, { id: "burndown-failure" }) : null,
    detail.objectives.map((o) => objectiveSection(detail, o, pointsOf(o), definition)),
    h("section", { class: "card", "aria-labelledby": "exclusions-title" }, h("h2", { id: "exclusions-title", text: "Exclusions" }),
      exclusions.length ? h("ul", {}, exclusions) : h("p", { class: "muted", text: "No planned maintenance." }),
      h("h3", { text: `Excluded in this period so far (${(detail.period.excluded_seconds / 3600).toFixed(1)} h)` }),
      excluded.length ? h("ul", {}, excluded) : h("p", { class: "muted", text: "None." })),
    h("section", { class: "card", "aria-labelledby": "history-title" }, h("h2", { id: "history-title", text: "History" }),
      h("p", { class: "muted", text: "Every accepted change of this SLA: when, who made it, what kind of change, why, and what changed." }), history),
    h("section", { class: "card", "aria-labelledby": "queries-title" }, h("h2", { id: "queries-title", text: "PromQL behind the figures" }),
      h("dl", {}, Object.entries(definition.queries).map(([k, v]) => [h("dt", { text: k }), h("dd", {}, h("pre", {}, h("code", { text: v })))]))),
    definition.yaml ? h("section", { class: "card", "aria-labelledby": "yaml-title" }, h("h2", { id: "yaml-title", text: "The SLA" }),
      h("pre", { id: "sla-yaml" }, h("code", { text: definition.yaml }))) : null);
  await fillHistory(view, history, historyAnswer, ns, name);
}
