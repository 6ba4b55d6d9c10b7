"""spec.corrections: validation that names the field, and the pure pieces and arithmetic
(pledge.slo.corrections) that the API applies to a period's recorded events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pledge.files import check
from pledge.sla import SpecError, parse_sla
from pledge.sla.identity import Row
from pledge.sla.model import Correction
from pledge.slo.corrections import Events, Held, Piece, apply, change, pieces, touching
from tests.support.slas import as_yaml, document

T0 = dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc).timestamp()  # a Tuesday
HOUR = 3600.0


def iso(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def correction(start: float, end: float, effect: str = "exclude", **more: Any) -> dict[str, Any]:
    return {"start": iso(start), "end": iso(end), "effect": effect, "category": "maintenance", "reason": "db upgrade", **more}


PROBE = {"boolGauge": {"metric": 'probe_success{job="edge"}'}}
TWO = [{"name": "availability", "target": "99.9", "sli": {"ratio": {"errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}}},
       {"name": "probe", "target": "99", "sli": PROBE}]


def parsed(corrections: list[dict[str, Any]], objectives: list[dict[str, Any]] | None = None, now: float | None = None) -> Any:
    doc = document("checkout", "shop", corrections=corrections)
    if objectives is not None:
        doc["spec"]["objectives"] = objectives
    return parse_sla(doc, now=now)


@pytest.mark.parametrize(("corrections", "objectives", "path", "message"), [
    ([{k: v for k, v in correction(T0, T0 + HOUR).items() if k != "reason"}], None,
     "spec.corrections[0].reason", "required field is missing"),
    ([correction(T0, T0 + HOUR, reason="  ")], None, "spec.corrections[0].reason", "must say why"),
    ([correction(T0 + HOUR, T0)], None, "spec.corrections[0].end", "must be after start"),
    ([correction(T0, T0 + HOUR, effect="ignore")], None, "spec.corrections[0].effect", "'exclude', 'good' or 'bad'"),
    ([correction(T0, T0 + HOUR, category="weather")], None, "spec.corrections[0].category", "'maintenance'"),
    ([correction(T0, T0 + 2 * HOUR), correction(T0 + HOUR, T0 + 3 * HOUR, effect="bad")], None,
     "spec.corrections[1].start", "overlaps corrections[0] (2026-11-03T00:00:00+00:00 to 2026-11-03T02:00:00+00:00) "
                                  "for objective availability"),
    ([correction(T0, T0 + HOUR, effect="good")], None, "spec.corrections[0].effect",
     "effect good counts time as good; objective availability counts events (ratio): use exclude"),
    ([correction(T0, T0 + HOUR, effect="good")], TWO, "spec.corrections[0].effect", "objective availability counts events"),
    ([correction(T0, T0 + HOUR, objectives=["latency"])], None, "spec.corrections[0].objectives",
     "no objective 'latency' (objectives: availability)"),
    ([{**correction(T0, T0 + HOUR), "schedule": "daily"}], None, "spec.corrections[0]", 'takes "at" and "duration"'),
])
def test_bad_corrections_name_the_field(corrections: list[dict[str, Any]], objectives: list[dict[str, Any]] | None,
                                        path: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parsed(corrections, objectives)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}: ") and message in problem, problem


def test_good_on_a_time_slice_objective_and_overlaps_of_other_objectives_are_fine() -> None:
    sla = parsed([correction(T0, T0 + HOUR, effect="good", objectives=["probe"]),
                  correction(T0, T0 + HOUR, effect="bad", objectives=["availability"])], TWO)
    assert [c.effect for c in sla.spec.corrections] == ["good", "bad"]


def test_a_correction_ending_after_the_moment_read_is_refused() -> None:
    ok = [correction(T0, T0 + HOUR)]
    assert parsed(ok, now=T0 + HOUR).spec.corrections  # ends at the moment: fine
    assert parsed(ok).spec.corrections  # no moment given: no clock, no check
    with pytest.raises(SpecError) as caught:
        parsed(ok, now=T0 + HOUR - 1)
    [problem] = caught.value.problems
    assert problem.startswith("spec.corrections[0].end: is in the future (2026-11-03T01:00:00+00:00, now "), problem


def corrections(*items: dict[str, Any]) -> list[Correction]:
    return [Correction.model_validate(i) for i in items]


RECURRING = {"schedule": "daily", "at": "02:00", "duration": "1h", "effect": "exclude", "category": "other", "reason": "batch"}


@pytest.mark.parametrize(("given", "exclusions", "start", "end", "expected"), [
    # clipped to the period
    ([correction(T0 - HOUR, T0 + HOUR)], [], T0, T0 + 10 * HOUR, [(0, T0, T0 + HOUR)]),
    # maintenance outranks a correction: cut out of it
    ([correction(T0, T0 + 3 * HOUR)], [{"start": iso(T0 + HOUR), "end": iso(T0 + 2 * HOUR)}], T0, T0 + 10 * HOUR,
     [(0, T0, T0 + HOUR), (0, T0 + 2 * HOUR, T0 + 3 * HOUR)]),
    # a recurrence: one piece per occurrence, in time order with the others
    ([correction(T0 + 5 * HOUR, T0 + 6 * HOUR, effect="bad"), RECURRING], [], T0, T0 + 30 * HOUR,
     [(1, T0 + 2 * HOUR, T0 + 3 * HOUR), (0, T0 + 5 * HOUR, T0 + 6 * HOUR), (1, T0 + 26 * HOUR, T0 + 27 * HOUR)]),
    # a recurrence overlapping a one-off: the one that starts first keeps the time
    ([correction(T0 + 2.5 * HOUR, T0 + 4 * HOUR, effect="bad"), RECURRING], [], T0, T0 + 10 * HOUR,
     [(1, T0 + 2 * HOUR, T0 + 3 * HOUR), (0, T0 + 3 * HOUR, T0 + 4 * HOUR)]),
    # outside the period, or less than a second inside it: nothing
    ([correction(T0 - 2 * HOUR, T0 - HOUR), correction(T0 + 10 * HOUR - 0.5, T0 + 11 * HOUR)], [], T0, T0 + 10 * HOUR, []),
])
def test_pieces(given: list[dict[str, Any]], exclusions: list[dict[str, Any]], start: float, end: float,
                expected: list[tuple[int, float, float]]) -> None:
    found = pieces(corrections(*given), [Correction.model_validate({**e, "effect": "exclude", "category": "other", "reason": "m"})
                                         for e in exclusions], start, end)
    assert [(p.index, p.start, p.end) for p in found] == expected
    assert touching(corrections(*given), start, end) == bool(found or any(
        c.start is not None and c.start.timestamp() < end and c.end is not None and c.end.timestamp() > start
        for c in corrections(*given)))


def test_pieces_of_one_objective_and_corrections_passed_explicitly() -> None:
    listed = corrections(correction(T0, T0 + HOUR, objectives=["probe"]), correction(T0 + HOUR, T0 + 2 * HOUR))
    assert [p.index for p in pieces(listed, [], T0, T0 + 5 * HOUR, objective="availability")] == [1]
    assert [p.index for p in pieces(listed, [], T0, T0 + 5 * HOUR, objective="probe")] == [0, 1]
    assert [p.index for p in pieces(listed[1:], [], T0, T0 + 5 * HOUR, objective="probe")] == [0]  # an older revision's list


@pytest.mark.parametrize(("effect", "expected"), [
    ("exclude", Events(1000 - 40, 100_000 - 500)),  # the piece's bad and valid events leave the period
    ("good", Events(1000 - 40, 100_000)),           # its bad events count as good
    ("bad", Events(1000 + 460, 100_000)),           # its 500 valid events all count as bad (40 were)
])
def test_apply(effect: str, expected: Events) -> None:
    [piece] = pieces(corrections(correction(T0, T0 + HOUR, effect=effect)), [], T0, T0 + 5 * HOUR)
    assert apply(Events(1000, 100_000), [(piece, Events(40, 500))]) == expected
    row = Row("availability")
    held = Held({"availability": [piece]}, {(row, 0): Events(40, 500)})
    assert held.correct(row, Events(1000, 100_000)) == expected and held
    assert held.of(Row("latency")) == [] and held.correct(Row("latency"), Events(1, 2)) == Events(1, 2)
    assert change(piece.effect, Events(40, 500)) == expected - Events(1000, 100_000)


def test_apply_never_counts_below_zero() -> None:
    [piece] = pieces(corrections(correction(T0, T0 + HOUR)), [], T0, T0 + 5 * HOUR)
    assert apply(Events(10, 100), [(piece, Events(12, 101))]) == Events(0, 0)
    assert isinstance(piece, Piece) and piece.effect == "exclude"


def test_validate_refuses_a_future_correction_with_its_line_when_given_the_moment(tmp_path: Path) -> None:
    (tmp_path / "checkout.yaml").write_text(as_yaml("checkout", "shop", corrections=[correction(T0, T0 + HOUR)]))
    assert not check((tmp_path,)).problems  # no moment, no clock
    [problem] = check((tmp_path,), now=T0).problems
    assert (problem.path, problem.line, problem.severity) == ("spec.corrections[0].end", 17, "error")  # the line of its end
    assert problem.message.startswith("is in the future (2026-11-03T01:00:00+00:00, now 2026-11-03T00:00:00+00:00)")
