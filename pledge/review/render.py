"""A review pack (pledge.review.pack) written out: a standalone printable HTML document (A4, no scripts, no
external resources, readable in black and white), CSV (one line per SLA x objective x group x period) and
JSON (the pack itself). Pure: no I/O and no clock, so the same pack always gives the same bytes; the PDF
is made from the HTML by pledge.review.pdf.

Every text that comes from a pack is escaped: SLA names, labels, reasons and references are user input.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from html import escape

from pledge.review.pack import Adjustment, Earlier, Incident, Pack, Row
from pledge.sla import format_duration, format_percent
from pledge.slo.budget import as_percent

# A state in words and a symbol, so a black-and-white copy still tells them apart.
STATE_MARKS = {"Met": "✓", "Breached": "✗", "Behind": "▼", "AtRisk": "!", "NoData": "?"}
STATE_WORDS = {"Met": "Met", "Breached": "Breached", "Behind": "Behind", "AtRisk": "At risk", "NoData": "No data"}

CSV_COLUMNS = ("period", "namespace", "name", "service", "customer", "objective", "group", "target", "revision",
               "sli", "events_total", "events_bad", "budget_used", "state", "met", "credit_percent", "restated",
               "sli_published", "sli_change", "incidents", "adjustments", "content_hash", "credit_amount", "currency")

_FOUR = Decimal("0.0001")
_TWO = Decimal("0.01")
_ONE = Decimal("0.1")

STYLE = """
@page { size: A4; margin: 12mm 12mm 16mm 12mm;
  @bottom-left { content: "@FOOTER@"; font: 6.5pt "DejaVu Sans Mono", "Liberation Mono", monospace; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 7pt "DejaVu Sans", sans-serif; } }
* { box-sizing: border-box; }
html { color: #000; background: #fff; }
body { font: 8.5pt/1.25 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; }
h1 { font-size: 14pt; margin: 0 0 2mm; }
h2 { font-size: 11pt; margin: 4mm 0 1.5mm; border-bottom: 0.6pt solid #000; }
h3 { font-size: 9pt; margin: 0 0 1mm; }
p { margin: 0.8mm 0; }
ul { margin: 0.8mm 0; padding-left: 5mm; }
table { border-collapse: collapse; width: 100%; margin: 0.8mm 0 1.2mm; clear: both; }
th.reason { width: 32%; }
th, td { border: 0.4pt solid #555; padding: 0.3mm 1mm; text-align: left; vertical-align: top; font-size: 8pt; }
th { background: #eee; font-weight: bold; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.bad td { font-weight: bold; }
thead { display: table-header-group; }
tr, .row { break-inside: avoid; }
.row { margin: 0 0 2.5mm; padding-left: 2mm; border-left: 1.2pt solid #000; }
.row.bad { border-left: 3pt double #000; }
.nowrap { white-space: nowrap; }
table.small { width: auto; min-width: 50%; clear: both; }
table.earlier { width: auto; float: right; margin: 0 0 1mm 3mm; }
.row > table:not(.earlier), .row::after { clear: both; }
.row::after { content: ""; display: block; }
.note { font-style: italic; }
.warn { font-weight: bold; }
.status { border: 0.8pt solid #000; padding: 1mm 2mm; margin: 1mm 0 2mm; }
footer { margin-top: 4mm; border-top: 0.6pt solid #000; padding-top: 1mm; font-size: 7pt; }
code, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; word-break: break-all; }
"""


# ---------------------------------------------------------------------------------------------- words


def _percent(ratio: float, step: Decimal, rounding: str) -> Decimal:
    return as_percent(ratio).quantize(step, rounding=rounding)


def sli_text(ratio: float | None) -> str:
    """A SLI in percent with 4 decimals, rounded down so a figure below its target never reads as at it."""
    return "no data" if ratio is None else f"{format(_percent(ratio, _FOUR, ROUND_FLOOR), 'f')} %"


def share_text(ratio: float | None) -> str:
    """A share (budget used, hours above target) in percent, one decimal at most."""
    return "n/a" if ratio is None else f"{format_percent(_percent(ratio, _ONE, ROUND_HALF_EVEN))} %"


def completeness_text(ratio: float | None) -> str:
    """Data completeness; rounded down, so a single missing tile never reads as 100 %."""
    return "unknown" if ratio is None else f"{format_percent(_percent(ratio, _TWO, ROUND_FLOOR))} %"


def change_text(ratio: float | None) -> str:
    """A SLI difference in percentage points, signed."""
    return "n/a" if ratio is None else f"{format(_percent(ratio, _FOUR, ROUND_HALF_EVEN), '+f')} pp"


def credit_text(percent: str | None) -> str:
    return "none" if percent is None else f"{percent} %"


def money_text(amount: str | None, currency: str | None) -> str:
    """'1,200.00 EUR' ('' without an amount)."""
    return "" if amount is None or currency is None else f"{Decimal(amount):,.2f} {currency}"


def row_credit_text(row: Row) -> str:
    """The row's credit: percent, and its amount of the fee when the SLA has one: '10 % (1,200.00 EUR)'."""
    money = money_text(row.credit_amount, row.currency) if row.credit_percent and Decimal(row.credit_percent) else ""
    return credit_text(row.credit_percent) + (f" ({money})" if money else "")


def state_text(state: str) -> str:
    return f"{STATE_MARKS.get(state, '·')} {STATE_WORDS.get(state, state)}"


def group_text(group: dict[str, str]) -> str:
    """k=v,... in key order ("" for an ungrouped objective)."""
    return ",".join(f"{k}={v}" for k, v in sorted(group.items()))


def filename(scope: dict[str, str], period: str, extension: str) -> str:
    """review-customer-acme-2026-11.pdf: the scope in key order, any character a file name may not
    hold safely replaced by "_"."""
    text = "-".join(f"{k}-{v}" for k, v in sorted(scope.items()))
    return "review-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in text) + f"-{period}.{extension}"


def scope_text(scope: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(scope.items())) or "everything"


def when(moment: dt.datetime) -> str:
    """A moment to the minute, with its offset as the pack gives it (the SLA's time zone)."""
    return moment.isoformat(sep=" ", timespec="minutes")


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return format_duration(whole) if whole > 0 else "none"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _css_string(text: str) -> str:
    """Text for a CSS string in the page footer: only characters that cannot end the string or the style."""
    return re.sub(r"[^0-9A-Za-z .:+_\-·]", "", text)


# ---------------------------------------------------------------------------------------------- HTML


def html(pack: Pack) -> str:
    """The pack as a standalone HTML document that prints to A4: the summary and a table of every row on
    the first page, then each row's details, and the moment, version and content hash at the end and in
    every printed page's footer."""
    title = f"Service review: {scope_text(pack.scope)} — {pack.period}"
    hash_text = pack.content_hash or "none (the pack is not sealed)"
    footer = _css_string(f"sha256 {pack.content_hash or 'none'} · as of {pack.computed_at.isoformat()} · "
                         f"pack v{pack.version}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="color-scheme" content="light">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE.replace('@FOOTER@', footer)}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        _period(pack),
        _summary(pack),
        "<h2>Objectives</h2>",
        _table(pack.rows),
        "<h2>Details</h2>",
        *(_details(row) for row in pack.rows),
        "<footer>",
        f"<p>Figures as of <b>{_e(pack.computed_at.isoformat())}</b> · pack version {_e(pack.version)}</p>",
        f'<p>Content hash (sha256): <span class="hash">{_e(hash_text)}</span></p>',
        ("<p>To check a signed copy: the SHA-256 of the pack's canonical JSON (keys sorted, no spaces, "
         "without content_hash) must equal this hash.</p>"),
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _period(pack: Pack) -> str:
    status = ("closed: these are the period's final figures" if pack.closed else
              f"open: figures so far, as of {when(pack.computed_at)}; they will change until the period ends")
    lines = [f"<p><b>Period {_e(pack.period)}</b>: {_e(when(pack.start))} – {_e(when(pack.end))} · {_e(status)}</p>"]
    if pack.restated:
        lines.append('<p class="warn">⚠ Restated: some figures differ from those first published '
                     "(corrections changed after the period closed); marked below.</p>")
    return "\n".join(lines)


def _summary(pack: Pack) -> str:
    s = pack.summary
    out = ['<div class="status">', "<h2>Summary</h2>"]
    if s.lines:
        out.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in s.lines) + "</ul>")
    out.append(f"<p><b>{s.met} met, {s.breached} breached.</b> Worst objective: {_e(s.worst or 'none')}</p>")
    if s.credits:
        owed = "; ".join(f"{_e(k)}: {_e(credit_text(v))}" for k, v in sorted(s.credits.items()))
        total = "; ".join(money_text(amount, currency) for currency, amount in s.credit_totals.items())
        out.append(f"<p><b>Credits owed ({len(s.credits)}):</b> {owed}"
                   + (f" · <b>in total {_e(total)}</b>" if total else "") + "</p>")
    else:
        out.append("<p><b>Credits owed:</b> none</p>")
    completeness = completeness_text(s.completeness)
    if s.completeness is None:
        out.append('<p class="warn">Data completeness: unknown — the figures could not be checked for gaps.</p>')
    elif s.completeness < 1:
        out.append(f'<p class="warn">Data completeness: {completeness} — below 100 %: some of the period\'s '
                   "5-minute data is missing, and the figures cover only the data present.</p>")
    else:
        out.append(f"<p>Data completeness: {completeness}</p>")
    if s.forecast is not None:
        f = s.forecast
        brier = "" if f.brier is None else f" Brier score {f.brier:.3f} (0 is perfect, 0.25 a coin toss)."
        out.append(f"<p><b>Forecast</b> (as of {_e(when(f.as_of))}): {_e(f.words)} <i>Track record:</i> "
                   f"{_e(f.track_record)}{_e(brier)}</p>")
    else:
        out.append("<p><b>Forecast:</b> none</p>")
    out.append("</div>")
    return "\n".join(out)


def _target(row: Row) -> str:
    revision = "" if row.terms.revision is None else f" (rev {row.terms.revision})"
    return f"{row.terms.target} %{revision}"


def _table(rows: list[Row]) -> str:
    head = ("<table><thead><tr><th>SLA</th><th>Objective</th><th>Group</th><th class=\"num\">Target</th>"
            "<th class=\"num\">SLI</th><th class=\"num\">Budget used</th><th>State</th><th class=\"num\">Credit</th>"
            "</tr></thead><tbody>")
    body = []
    for row in rows:
        sli = _e(sli_text(row.sli)) + (" <i>restated</i>" if row.restated else "")
        body.append(
            f'<tr class="{"ok" if row.met else "bad"}"><td>{_e(row.namespace)}/{_e(row.name)}</td>'
            f"<td>{_e(row.objective)}</td><td>{_e(group_text(row.group) or 'all')}</td>"
            f'<td class="num">{_e(_target(row))}</td><td class="num">{sli}</td>'
            f'<td class="num">{_e(share_text(row.budget_used))}</td><td class=\"nowrap\">{_e(state_text(row.state))}</td>'
            f'<td class="num">{_e(row_credit_text(row))}</td></tr>')
    if not rows:
        body.append('<tr><td colspan="8">No SLA in this scope had an objective in the period.</td></tr>')
    return head + "".join(body) + "</tbody></table>"


def _details(row: Row) -> str:
    group = group_text(row.group)
    heading = f"{row.namespace}/{row.name} · {row.objective}" + (f" · {group}" if group else "") + f" · times {row.timezone}"
    accepted = row.terms.revision_accepted_at
    terms = f"{row.terms.words} (target {_target(row)}" + (f", accepted {when(accepted)}" if accepted else "") + ")"
    customer = f" · customer {row.customer}" if row.customer else ""
    result = (f"{state_text(row.state)} · SLI {sli_text(row.sli)} · {_count(row.events_bad)} bad of "
              f"{_count(row.events_total)} · budget used {share_text(row.budget_used)} · credit "
              f"{row_credit_text(row)}" + (f" (tier {row.credit_tier})" if row.credit_tier else ""))
    stretch = _duration(row.longest_bad_seconds)
    if row.longest_bad_start is not None and row.longest_bad_seconds > 0:
        stretch += f" from {when(row.longest_bad_start)}"
    timing = (f"budget exhausted: {when(row.breached_at) if row.breached_at else 'no'} · hours at or above "
              f"target: {share_text(row.above_target_share)} · longest bad stretch: {stretch}")
    out = [f'<section class="row {"ok" if row.met else "bad"}">', f"<h3>{_e(heading)}</h3>"]
    if row.earlier:
        out.append(_earlier(row.earlier))
    out += [f"<p><b>Service</b> {_e(row.service + customer)} · <b>Terms</b> {_e(terms)}</p>",
           f"<p><b>Result</b> {_e(result)}</p>", f"<p><b>Over the period</b> {_e(timing)}</p>"]
    if row.restated:
        out.append(f'<p class="warn">⚠ {_e(_restated(row))}</p>')
    if not row.incidents and not row.adjustments:
        out.append("<p>Incidents: none · maintenance and corrections: none</p>")
    else:
        out.append(_incidents(row.incidents))
        out.append(_adjustments(row.adjustments))
    out.append("</section>")
    return "\n".join(out)


def _restated(row: Row) -> str:
    return (f"restated (first published: SLI {sli_text(row.sli_published)}, "
            f"credit {credit_text(row.credit_percent_published)})")


def _interval(start: dt.datetime, end: dt.datetime) -> str:
    """start – end, the end's date left out when it is the start's (and so is its offset)."""
    if start.date() == end.date() and start.utcoffset() == end.utcoffset():
        return f"{start.isoformat(sep=' ', timespec='minutes')[:16]}–{end.isoformat(timespec='minutes')[11:]}"
    return f"{when(start)} – {when(end)}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _incidents(incidents: list[Incident]) -> str:
    if not incidents:
        return "<p>Incidents: none</p>"
    rows = "".join(f"<tr><td>{_e(_interval(i.start, i.end))}</td><td>{_e(i.tier)}</td>"
                   f"<td>{_e(i.severity)}</td></tr>" for i in incidents)
    return (f"<table class=\"small\"><thead><tr><th>Incident ({len(incidents)})</th><th>Tier</th><th>Severity</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _adjustments(adjustments: list[Adjustment]) -> str:
    if not adjustments:
        return "<p>Maintenance and corrections: none</p>"
    rows = []
    for a in adjustments:
        effect = a.effect + ("" if a.events_bad is None else f" ({a.events_bad:+,.0f} bad events)")
        given = "n/a" if a.budget_share is None else share_text(a.budget_share)
        rows.append(f"<tr><td class=\"nowrap\">{_e(_interval(a.start, a.end))}</td><td>{_e(a.kind)}: {_e(effect)}</td>"
                    f"<td>{_e(a.category)}</td><td>{_e(a.reason)}</td><td class=\"nowrap\">{_e(a.ref or '—')}</td>"
                    f"<td>{_e(a.approved_by or '—')}</td><td class=\"num\">{_e(given)}</td></tr>")
    return ("<table><thead><tr><th>Interval</th><th>Adjustment</th><th>Category</th><th class=\"reason\">Reason</th><th>Ref</th>"
            "<th>Approved by</th><th class=\"num\">Budget given back</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _earlier(earlier: list[Earlier]) -> str:
    rows = "".join(f"<tr><td>{_e(e.period)}</td><td class=\"num\">{_e(sli_text(e.sli))}</td>"
                   f"<td class=\"nowrap\">{_e(state_text(e.state))}</td><td class=\"num\">{_e(credit_text(e.credit_percent))}</td>"
                   f"<td class=\"num\">{_e(change_text(e.sli_change))}</td></tr>" for e in earlier)
    return ("<table class=\"earlier\"><thead><tr><th>Earlier period</th><th class=\"num\">SLI</th><th>State</th>"
            "<th class=\"num\">Credit</th><th class=\"num\">Change since</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


# ---------------------------------------------------------------------------------------------- CSV, JSON


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def csv_text(pack: Pack) -> str:
    """One line per SLA x objective x group x period: the pack's period, then each earlier period of the
    row, which fills what it has (SLI, state, credit, change) and leaves the rest empty. Ratios as 0..1,
    targets and credits in percent as written."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in pack.rows:
        same = {"namespace": row.namespace, "name": row.name, "service": row.service,
                "customer": row.customer or "", "objective": row.objective, "group": group_text(row.group),
                "content_hash": pack.content_hash}
        lines = [{**same, "period": pack.period, "target": row.terms.target,
                  "revision": "" if row.terms.revision is None else str(row.terms.revision),
                  "sli": _number(row.sli), "events_total": _number(row.events_total),
                  "events_bad": _number(row.events_bad), "budget_used": _number(row.budget_used),
                  "state": row.state, "met": _flag(row.met), "credit_percent": row.credit_percent or "",
                  "restated": _flag(row.restated), "sli_published": _number(row.sli_published),
                  "credit_amount": row.credit_amount or "", "currency": row.currency or "",
                  "incidents": str(len(row.incidents)), "adjustments": str(len(row.adjustments))}]
        lines.extend({**same, "period": e.period, "sli": _number(e.sli), "state": e.state,
                      "credit_percent": e.credit_percent or "", "sli_change": _number(e.sli_change)}
                     for e in row.earlier)
        writer.writerows([line.get(column, "") for column in CSV_COLUMNS] for line in lines)
    return out.getvalue()


def json_bytes(pack: Pack) -> bytes:
    """The pack as JSON: indented, keys sorted, UTF-8; Pack.model_validate_json reads it back."""
    body = pack.model_dump(mode="json")
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
