// The review pack of a customer (#/review/{customer}/{period}): the pack as it prints (GET /v1/review?format=html,
// shown in a sandboxed frame: no script runs in it), its content hash, and downloads of HTML, PDF and CSV.
// The token goes in a header, never in a URL, so downloads are fetched and saved from memory.

import { enc, request } from "./api.js";
import { h, link, problem, show } from "./dom.js";

const KINDS = { html: ["text/html", "html"], pdf: ["application/pdf", "pdf"], csv: ["text/csv", "csv"] };

/** The periods a review is usually asked for: the last three months and the last two quarters before `now`. */
export function reviewPeriods(now = new Date()) {
  const month = (i) => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  };
  const quarter = (i) => {
    const q = Math.floor(now.getUTCMonth() / 3) - i;
    const year = now.getUTCFullYear() + Math.floor(q / 4);
    return `${year}-Q${((q % 4) + 4) % 4 + 1}`;
  };
  return [month(1), month(2), month(3), quarter(1), quarter(2)];
}

const path = (customer, period, format) =>
  `/v1/review?${new URLSearchParams({ customer, period, compare: "1", format })}`;

async function download(button, customer, period, format) {
  const [accept, ext] = KINDS[format];
  button.disabled = true;
  try {
    const response = await request(path(customer, period, format), accept);
    const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: accept }));
    const a = h("a", { href: url, download: `review-customer-${customer}-${period}.${ext}` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (failure) {
    button.after(problem(`The ${format.toUpperCase()} could not be downloaded`, failure, { "data-failure": format }));
  } finally {
    button.disabled = false;
  }
}

export async function reviewView(view, customer, period) {
  const chosen = period ?? reviewPeriods()[0];
  const picker = h("select", { id: "review-period", onchange: (e) => { location.hash = `#/review/${enc(customer)}/${e.target.value}`; } },
    [...new Set([chosen, ...reviewPeriods()])].map((p) => h("option", { value: p, text: p, selected: p === chosen })));
  const buttons = Object.keys(KINDS).map((format) => h("button", { type: "button", id: `review-${format}`,
    onclick: (e) => download(e.currentTarget, customer, chosen, format), text: `Download ${format.toUpperCase()}` }));
  const status = h("p", { role: "status", id: "review-status", text: "Building the pack…" });
  const frame = h("iframe", { id: "review-pack", title: `Review pack of ${customer}, ${chosen}`, sandbox: "", class: "review-frame" });
  show(h("p", { class: "no-print" }, link(`#/customer/${enc(customer)}`, `← ${customer}`)),
    h("h1", { text: `Review pack: ${customer}` }),
    h("div", { class: "filters" }, h("label", {}, "period ", picker), ...buttons), status, frame);
  let json;
  try {
    [json] = await Promise.all([
      request(path(customer, chosen, "json")).then((r) => r.json()),
      request(path(customer, chosen, "html"), "text/html").then(async (r) => { frame.srcdoc = await r.text(); }),
    ]);
  } catch (failure) {
    if (!view.stale()) status.replaceWith(problem(`The review pack of ${chosen} could not be built`, failure));
    frame.remove();
    return;
  }
  if (view.stale()) return;
  status.textContent = `${json.summary.met} met, ${json.summary.breached} breached; ${json.closed ? "final" : "so far (the period is open)"}`
    + `${json.restated ? "; restated since first published" : ""}. Content hash ${json.content_hash}.`;
  status.dataset.hash = json.content_hash;
}
