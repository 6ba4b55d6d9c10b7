"""Terms in force (pledge.slo.terms): which revision judges which part of a period, under both change
policies, deferred changes, the time-weighted target of a split period, and what-if revisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pledge.sla.identity import SLARef
from pledge.sla.revisions import History, Proposed, numbered
from pledge.slo.periods import calendar_period
from pledge.slo.terms import effective_from, published, takes_effect, terms_for
from tests.support.slas import with_spec

UTC = dt.timezone.utc
NOV = calendar_period("month", "UTC", dt.datetime(2026, 11, 15, tzinfo=UTC).timestamp())
DEC_1 = dt.datetime(2026, 12, 1, tzinfo=UTC)


def spec(target: str, policy: str | None = None, description: str = "", window: str = "month") -> dict[str, Any]:
    out: dict[str, Any] = {"service": "checkout", "description": description,
                           "window": {"calendar": window} if window != "30d" else {"rolling": "30d"},
                           "objectives": [{"name": "availability", "target": target,
                                           "sli": {"ratio": {"errors": "e", "total": "t"}}}]}
    if policy:
        out["changePolicy"] = policy
    return out


def history(*versions: tuple[dt.datetime, dict[str, Any]]) -> History:
    return History(SLARef("shop", "checkout"), tuple(numbered(Proposed(s, at) for at, s in versions)))


CREATED = dt.datetime(2026, 10, 3, 9, tzinfo=UTC)
CHANGED = dt.datetime(2026, 11, 30, 12, tzinfo=UTC)  # the example: 99.9 -> 99.95 on 30 November


def test_next_period_keeps_the_period_s_terms_and_names_the_change_waiting() -> None:
    terms = terms_for(history((CREATED, spec("99.9")), (CHANGED, spec("99.95"))), NOV)
    assert [s.revision.number for s in terms.segments] == [1]
    objective = terms.objective("availability")
    assert objective is not None and objective.target == Decimal("99.9")
    assert [(d.revision.number, d.effective) for d in terms.deferred] == [(2, DEC_1.timestamp())]
    december = calendar_period("month", "UTC", DEC_1.timestamp() + 1)
    assert terms_for(history((CREATED, spec("99.9")), (CHANGED, spec("99.95"))), december).last.revision.number == 2


def test_immediate_splits_the_period_and_weighs_the_target_by_time() -> None:
    terms = terms_for(history((CREATED, spec("99.9")), (CHANGED, spec("99.95", "immediate"))), NOV)
    assert [(s.revision.number, s.start, s.end) for s in terms.segments] == [
        (1, NOV.start, CHANGED.timestamp()), (2, CHANGED.timestamp(), NOV.end)]
    objective = terms.objective("availability")
    assert objective is not None
    # 29.5 days at 99.9 and 0.5 days at 99.95: 99.9 + 0.05 x 0.5 / 30
    assert objective.target == pytest.approx(Decimal("99.900833"), abs=Decimal("0.000001"))
    assert terms.deferred == ()


@pytest.mark.parametrize(("second", "kind_in_force"), [
    (spec("99.9", description="the checkout path"), 2),  # cosmetic: in force at once
    (spec("99.95", window="30d"), 2),  # a rolling window's default policy is immediate
])
def test_changes_that_are_not_deferred(second: dict[str, Any], kind_in_force: int) -> None:
    h = history((CREATED, spec("99.9")), (CHANGED, second))
    assert effective_from(h.revisions)[1] == CHANGED.timestamp()
    assert terms_for(h, NOV).last.revision.number == kind_in_force


def test_a_change_that_follows_a_deferred_one_waits_with_it() -> None:
    later = CHANGED + dt.timedelta(hours=6)
    h = history((CREATED, spec("99.9")), (CHANGED, spec("99.95")), (later, spec("99.95", description="new words")))
    assert effective_from(h.revisions)[1:] == [DEC_1.timestamp(), DEC_1.timestamp()]
    assert [s.revision.number for s in terms_for(h, NOV).segments] == [1]
    assert takes_effect(h) == DEC_1


def test_a_change_accepted_at_the_boundary_is_in_force_from_it() -> None:
    h = history((CREATED, spec("99.9")), (DEC_1, spec("99.95")))
    assert effective_from(h.revisions)[1] == DEC_1.timestamp() and takes_effect(h) is None


def test_what_if_a_revision_judged_the_whole_period() -> None:
    h = history((CREATED, spec("99.9")), (CHANGED, spec("99.95")))
    objective = terms_for(h, NOV, revision=2).objective("availability")
    assert objective is not None and objective.target == Decimal("99.95")
    with pytest.raises(ValueError, match="shop/checkout has no revision 3 \\(revisions 1 to 2\\)"):
        terms_for(h, NOV, revision=3)


def test_a_period_before_the_first_revision_is_judged_by_it() -> None:
    october = calendar_period("month", "UTC", CREATED.timestamp())
    terms = terms_for(history((CREATED, spec("99.9")),), october)
    assert [(s.start, s.end) for s in terms.segments] == [(october.start, october.end)]


def test_an_sla_judged_by_the_terms_of_its_period() -> None:
    """November is judged by 99.9 % and revision 1's credits, though the file now says 99.95 % and 25 %."""
    current = with_spec("checkout", spec("99.95") | {"credits": [{"below": "99.95", "percent": "25"}]}, "shop")
    first = spec("99.9") | {"credits": [{"below": "99.9", "percent": "10"}]}
    h = history((CREATED, first), (CHANGED, spec("99.95") | {"credits": [{"below": "99.95", "percent": "25"}]}))
    judged = terms_for(h, NOV).judging(current)
    assert judged.spec.objectives[0].target == Decimal("99.9")
    assert [(c.below, c.percent) for c in judged.spec.credits] == [(Decimal("99.9"), Decimal("10"))]
    assert judged.spec.objectives[0].sli == current.spec.objectives[0].sli


def with_correction(base: dict[str, Any]) -> dict[str, Any]:
    return base | {"corrections": [{"start": "2026-11-03T02:00:00Z", "end": "2026-11-03T04:00:00Z", "effect": "exclude",
                                    "category": "maintenance", "reason": "database upgrade left out of exclusions"}]}


def test_a_correction_alone_neither_waits_nor_splits_and_the_newest_applies_to_a_closed_period() -> None:
    """A correction added on 9 December for 3 November judges November (after the fact by nature), though
    November's terms are revision 1's; withdrawn, it is gone from November too."""
    added, withdrawn = dt.datetime(2026, 12, 9, tzinfo=UTC), dt.datetime(2026, 12, 20, tzinfo=UTC)
    h = history((CREATED, spec("99.9")), (CHANGED - dt.timedelta(days=20), with_correction(spec("99.9"))))
    assert effective_from(h.revisions)[1] == (CHANGED - dt.timedelta(days=20)).timestamp()
    terms = terms_for(h, NOV)
    assert (len(terms.segments), terms.deferred, takes_effect(h)) == (1, (), None)
    current = with_spec("checkout", with_correction(spec("99.9")), "shop")
    later = history((CREATED, spec("99.9")), (added, with_correction(spec("99.9"))), (withdrawn, spec("99.9")))
    assert [c.reason for c in terms_for(later, NOV).judging(current).spec.corrections] == [
        "database upgrade left out of exclusions"]  # the SLA's current corrections judge every period
    assert published(later, NOV) == later.revisions[0]  # what November's figures were first published under
    what_if = terms_for(later, NOV, revision=3).judging(current)
    assert what_if.spec.corrections == []  # a what-if takes the revision's own corrections


def test_a_period_closed_before_the_sla_existed_was_never_published() -> None:
    september = calendar_period("month", "UTC", dt.datetime(2026, 9, 15, tzinfo=UTC).timestamp())
    assert published(history((CREATED, spec("99.9")),), september) is None


def test_the_revisions_that_restate_a_closed_period_are_those_after_its_close_that_change_corrections() -> None:
    described, corrected = dt.datetime(2026, 12, 2, tzinfo=UTC), dt.datetime(2026, 12, 9, tzinfo=UTC)
    h = history((CREATED, spec("99.9")), (described, spec("99.9", description="the shop")),
                (corrected, with_correction(spec("99.9", description="the shop"))))
    terms = terms_for(h, NOV)
    assert terms.published == h.revisions[0] and [r.number for r in terms.restated_by] == [3]
    assert terms_for(h, NOV, revision=3).published is None  # a what-if publishes nothing
