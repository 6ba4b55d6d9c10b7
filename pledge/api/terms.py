"""The terms a period is judged by, as the API shows them (issue 27, item 2): which revisions were in
force over which part of the period, the target they set, and the changes that wait for the next one.
The rule itself is pledge.slo.terms'."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from pledge.api.models import DeferredOut, SegmentOut, TermsOut
from pledge.api.revisions import read_history
from pledge.api.state import ApiState
from pledge.clock import utc
from pledge.sla import ServiceLevelAgreement, format_percent
from pledge.slo.periods import Period
from pledge.slo.terms import Segment, Terms, terms_for


def terms_out(terms: Terms, what_if: bool = False) -> TermsOut:
    segments = [SegmentOut(revision=s.revision.number, start=utc(s.start), end=utc(s.end),
                           accepted_at=s.revision.accepted_at, author=s.revision.author, reason=s.revision.reason,
                           targets={o.name: format_percent(o.target) for o in s.spec.objectives})
                for s in terms.segments]
    deferred = [DeferredOut(revision=d.revision.number, accepted_at=d.revision.accepted_at,
                            takes_effect=utc(d.effective), changes=list(d.revision.changes)) for d in terms.deferred]
    return TermsOut(revision=terms.last.revision.number, segments=segments, time_weighted=terms.split,
                    deferred=deferred, history_known=terms.known, what_if=what_if, words=words(terms, what_if))


def words(terms: Terms, what_if: bool = False) -> str:
    """"Judged by revision 1 (accepted 03 Oct 2026 by Alice); revision 2 takes effect on 01 Dec 2026"."""
    def named(s: Segment) -> str:
        who = f" by {s.revision.author}" if s.revision.author else ""
        when = f"accepted {s.revision.accepted_at:%d %b %Y}{who}" if s.revision.accepted_at else "the current definition"
        return f"revision {s.revision.number} ({when})"

    if not terms.known:
        text = f"Judged by the current definition: {terms.note or 'no history is kept'}"
    elif what_if:
        text = f"What if {named(terms.last)} had judged the whole period"
    elif terms.split:
        parts = ", then ".join(f"{named(s)} from {utc(s.start):%d %b %H:%M} UTC" for s in terms.segments)
        text = f"Judged by {parts}; targets weighted by the time each was in force"
    else:
        text = f"Judged by {named(terms.last)}"
    zone = ZoneInfo(terms.last.spec.window.timezone)  # the boundary as the SLA's calendar has it
    later = "; ".join(f"revision {d.revision.number} takes effect on {dt.datetime.fromtimestamp(d.effective, zone):%d %b %Y}"
                      for d in terms.deferred)
    return f"{text}; {later}." if later else f"{text}."


async def period_terms(api: ApiState, sla: ServiceLevelAgreement, period: Period, revision: int | None) -> Terms:
    """The terms judging ``period`` (``revision``: that one for the whole period); 404 for an unknown one."""
    history = await read_history(api, sla)
    try:
        return terms_for(history, period, revision)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
