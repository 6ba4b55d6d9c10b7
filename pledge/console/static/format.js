// Figures as text. Ratios are 0..1 (the API's); a missing figure is a dash.

// The API's states (pledge.sla.model.State, an enum in /openapi.json; tests/console compares the two).
export const STATES = ["Met", "AtRisk", "Breached", "NoData"];

export const groupText = (group) => Object.entries(group).sort().map(([k, v]) => `${k}=${v}`).join(", ");
export const rowKey = (ns, name, objective, group) => `${ns}/${name}/${objective}/${groupText(group)}`;
export const percent = (ratio, digits = 3) => (ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(digits)} %`);
export const times = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(2)}×`);
export const count = (x) => (x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en"));
export const when = (iso) => (iso ? `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC` : "—");
export const credit = (value) => (value === null || value === undefined ? "—" : `${value} %`);
