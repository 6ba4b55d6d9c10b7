// Figures as text. Ratios are 0..1 (the API's); a missing figure is a dash.

// The API's states (pledge.sla.model.State, an enum in /openapi.json; tests/console compares the two).
export const STATES = ["Met", "AtRisk", "Behind", "Breached", "NoData"];

// A share of a budget in whole percents; "less than 1 %" rather than a misleading "0 %" (pledge.slo.budget.share_words).
export const share = (x) => (x > 0 && (x * 100).toFixed(0) === "0" ? "less than 1 %" : `${(x * 100).toFixed(0)} %`);
// The Behind state in words (pledge.slo.budget.behind_words): below target so far, in an open calendar period
// that can still end above it; null in any other state. `period`: the window's calendar unit (month, quarter, week).
export const behindWords = (objective, period) => (objective.state !== "Behind" || objective.won_back === null || objective.won_back === undefined ? null
  : `below ${Number((objective.target * 100).toPrecision(10))} % so far; ${share(objective.won_back)} of the ${period || "period"}'s error budget `
    + `would have to be won back (the ${period || "period"} can still end above target)`);

export const groupText = (group) => Object.entries(group).sort().map(([k, v]) => `${k}=${v}`).join(", ");
export const rowKey = (ns, name, objective, group) => `${ns}/${name}/${objective}/${groupText(group)}`;
export const percent = (ratio, digits = 3) => (ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(digits)} %`);
export const times = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(2)}×`);
export const count = (x) => (x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en"));
export const when = (iso) => (iso ? `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC` : "—");
export const credit = (value) => (value === null || value === undefined ? "—" : `${value} %`);
