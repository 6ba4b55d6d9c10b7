"""The ServiceLevelAgreement resource (pledge.dev/v1alpha1): the single source of truth.

The CRD schema is generated from these models (pledge.sla.crd), so every constraint written here
holds for YAML files, for the operator and for the API alike.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema,
                      field_validator, model_validator)
from pydantic.alias_generators import to_camel

from pledge.sla.identity import IDENTITY_LABELS, SLARef
from pledge.sla.duration import Duration, format_duration
from pledge.sla.errors import SpecError, given, validate
from pledge.sla.percent import Percent, Probability, format_percent
from pledge.sla.promql import check_selector, check_window_template
from pledge.sla.tiers import DEFAULT_TIER_NAMES, default_long, period_seconds, short_window_for
from pledge.sla.units import DAY, WEEK

API_VERSION: Final = "pledge.dev/v1alpha1"
KIND: Final = "ServiceLevelAgreement"

NAME_REGEX = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Prometheus label names, without the "__" prefix Prometheus keeps for itself (no lookahead: the CRD's
# patterns are Go regular expressions, the model's Rust ones).
LABEL_NAME_REGEX = r"^([a-zA-Z][a-zA-Z0-9_]*|_([a-zA-Z0-9][a-zA-Z0-9_]*)?)$"
METRIC_NAME_REGEX = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
RESERVED_LABELS = frozenset({*IDENTITY_LABELS, "le", "severity", "burn_tier", "sla_tier"})
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class Model(BaseModel):
    """camelCase in YAML, snake_case in Python; unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder such as "Europe"
        raise ValueError(f'unknown time zone "{name}" (use an IANA name such as "Europe/Berlin")') from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Name = Annotated[str, Field(pattern=NAME_REGEX, max_length=63)]
_LABEL_NAME = re.compile(LABEL_NAME_REGEX)


def _label_name(name: str) -> str:
    if not _LABEL_NAME.fullmatch(name):
        raise ValueError(
            f'"{name}" is not a valid name: Prometheus label and annotation names take letters, digits and _, '
            'do not start with a digit, and names starting with "__" are Prometheus\' own'
        )
    return name


# Alert label and annotation names, grouping labels: checked by the model (the CRD cannot check map keys).
LabelName = Annotated[str, AfterValidator(_label_name), WithJsonSchema({"type": "string", "pattern": LABEL_NAME_REGEX})]


def _no_template(text: str) -> str:
    if "{{" in text:
        raise ValueError(
            f'must not contain "{{{{": the value labels recorded series too, and vmalert reads those labels as '
            f'Go templates (Prometheus does not, so no escaping suits both), got "{text}"'
        )
    return text


# customer, tier and owner label every recorded series (pledge.rules.generate); alert-only text is escaped instead.
SeriesLabelValue = Annotated[str, AfterValidator(_no_template)]


class Window(Model):
    """Compliance period: rolling (last N days) or calendar (resets at each boundary)."""

    rolling: Duration | None = None
    calendar: Literal["week", "month", "quarter"] | None = None
    timezone: TimeZoneName = "UTC"

    @model_validator(mode="after")
    def _exactly_one(self) -> Window:
        if (self.rolling is None) == (self.calendar is None):
            raise ValueError('set exactly one of "rolling" (e.g. 30d) or "calendar" (week, month or quarter)')
        if self.rolling is not None and self.rolling < DAY:
            raise ValueError(f'rolling: must be at least 1d (shorter periods leave no room for burn-rate alerts), got "{self.rolling}"')
        return self

    def describe(self) -> str:
        return f"{self.rolling} rolling" if self.rolling is not None else f"calendar {self.calendar}"


class RatioSLI(Model):
    """Event counters: errors/total or good/total, each a metric selector of a counter."""

    errors: str | None = None
    good: str | None = None
    total: str

    _check_selectors = field_validator("errors", "good", "total")(check_selector)

    @model_validator(mode="after")
    def _one_numerator(self) -> RatioSLI:
        if (self.errors is None) == (self.good is None):
            raise ValueError('set exactly one of "errors" or "good" (with "total")')
        return self


class LatencySLI(Model):
    """Share of requests faster than ``threshold`` seconds, read from a classic histogram."""

    histogram: Annotated[str, Field(pattern=METRIC_NAME_REGEX)]
    selector: str = ""
    threshold: Annotated[float, Field(gt=0)]
    buckets: list[Annotated[float, Field(gt=0)]] | None = None

    @field_validator("histogram")
    @classmethod
    def _strip_suffix(cls, value: str) -> str:
        for suffix in ("_bucket", "_count", "_sum"):
            if value.endswith(suffix):
                return value[: -len(suffix)]
        return value

    @field_validator("selector")
    @classmethod
    def _check_matchers(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith("{") and value.endswith("}")):
            raise ValueError(f'must be label matchers in braces such as {{service="checkout"}}, got "{value}"')
        if value:
            check_selector("x" + value)
        return value

    @model_validator(mode="after")
    def _threshold_is_a_bucket(self) -> LatencySLI:
        if self.buckets is not None and not any(abs(b - self.threshold) < 1e-12 for b in self.buckets):
            listed = ", ".join(f"{b:g}" for b in sorted(self.buckets))
            raise ValueError(
                f"threshold: {self.threshold:g} is not a bucket boundary of {self.histogram} "
                f"(buckets: {listed}); a histogram can only count requests at a boundary"
            )
        return self


class BoolGaugeSLI(Model):
    """A 0/1 gauge such as ``probe_success``: the SLI is the share of time it was 1."""

    metric: str

    _check_metric = field_validator("metric")(check_selector)


class RawSLI(Model):
    """Any PromQL error ratio (0..1), with ``{{window}}`` where the range goes."""

    error_ratio: str

    _check_template = field_validator("error_ratio")(check_window_template)


class SLI(Model):
    ratio: RatioSLI | None = None
    latency: LatencySLI | None = None
    bool_gauge: BoolGaugeSLI | None = None
    raw: RawSLI | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> SLI:
        kinds = [k for k in ("ratio", "latency", "bool_gauge", "raw") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"set exactly one SLI kind of ratio, latency, boolGauge or raw, got {kinds or 'none'}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("ratio", "latency", "bool_gauge", "raw") if getattr(self, k) is not None)


def _level(value: Decimal) -> Decimal:
    """A target-like percentage: strictly between 0 and 100, and not a fraction written by mistake."""
    if not Decimal(0) < value < Decimal(100):
        raise ValueError(f'must be between 0 and 100 exclusive, got "{value}"')
    if value < 1:
        raise ValueError(
            f'must be at least 1: it is a percentage, so "{value}" means {value} %; did you mean {format_percent(value * 100)}?'
        )
    return value


class Objective(Model):
    name: Name
    target: Percent
    warning: Percent | None = None
    sli: SLI
    description: str = ""

    @field_validator("target", "warning")
    @classmethod
    def _open_interval(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else _level(value)

    @model_validator(mode="after")
    def _warning_above_target(self) -> Objective:
        if self.warning is not None and self.warning <= self.target:
            raise ValueError(
                f'warning: must be above target ({self.target}), got "{self.warning}"; '
                "the band between them is the tolerance zone (AtRisk)"
            )
        return self


Severity = Literal["page", "ticket"]


def _no_reserved_labels(value: dict[str, str]) -> dict[str, str]:
    clash = sorted(RESERVED_LABELS & value.keys())
    if clash:
        raise ValueError(f"reserved label name(s) {', '.join(clash)}: set by pledge itself")
    return value


# Alert labels an SLA sets (SLA-wide, per severity, per tier): label names, and none pledge sets itself.
AlertLabels = Annotated[dict[LabelName, str], AfterValidator(_no_reserved_labels)]
AlertAnnotations = dict[LabelName, str]


class SeverityAlerting(Model):
    """Labels and annotations of every alert of one severity (its burn tiers and its budget alerts),
    over the SLA-wide ones."""

    labels: AlertLabels = {}
    annotations: AlertAnnotations = {}


class Severities(Model):
    page: SeverityAlerting = SeverityAlerting()
    ticket: SeverityAlerting = SeverityAlerting()


class BurnTier(Model):
    """One multiwindow alert: fires when both windows burn faster than the budget allows."""

    name: Name
    enabled: bool = True
    severity: Severity | None = None
    long_window: Duration | None = None
    short_window: Duration | None = None
    budget_consumed: Percent | None = None
    labels: AlertLabels = {}  # this tier's alert only, over its severity's and the SLA-wide ones
    annotations: AlertAnnotations = {}

    @field_validator("budget_consumed")
    @classmethod
    def _some_budget(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value == 0:
            raise ValueError(f'must be above 0, got "{value}"')
        return value

    def windows(self, default_long: int | None) -> tuple[int, int]:
        """(long, short) in seconds: the tier's own, else the default tier's long window and long / 12."""
        long = int(self.long_window) if self.long_window is not None else default_long
        assert long is not None, f"tier {self.name}: Alerting requires the longWindow of a new tier"
        return long, int(self.short_window) if self.short_window is not None else short_window_for(long)

    def missing(self) -> list[str]:
        """The fields a new tier (not one of the defaults) must set but does not."""
        fields = {"severity": self.severity, "longWindow": self.long_window, "budgetConsumed": self.budget_consumed}
        return [name for name, value in fields.items() if value is None]


class BreachPrediction(Model):
    """Opt-in SLABreachPredicted alert on the API's forecast gauge: a proactive notice, so a ticket by default."""

    enabled: bool = False
    min_probability: Probability = Decimal("0.8")
    for_: Annotated[Duration, Field(alias="for")] = Duration(900)
    severity: Severity = "ticket"


class Alerting(Model):
    """Labels and annotations merge, the most specific winning: a tier's over its severity's
    (``severities``) over the SLA-wide ones. A severity's reach every alert of that severity label:
    page the page burn tiers and SLABudgetExhausted; ticket the ticket burn tiers, SLABudgetAtRisk and
    SLAMetricAbsent; SLABreachPredicted those of its own ``severity``."""

    policy: Literal["sre-workbook", "none"] = "sre-workbook"
    tiers: list[BurnTier] = []
    labels: AlertLabels = {}
    annotations: AlertAnnotations = {}
    severities: Severities = Severities()
    runbook: str | None = None
    absent: bool = True
    absent_for: Duration = Duration(600)
    breach_prediction: BreachPrediction = BreachPrediction()

    def default_tier_names(self) -> tuple[str, ...]:
        return DEFAULT_TIER_NAMES if self.policy == "sre-workbook" else ()

    def _tier(self, name: str | None) -> BurnTier | None:
        return next((t for t in self.tiers if t.name == name and t.enabled), None)

    def labels_for(self, severity: str, tier: str | None = None) -> dict[str, str]:
        """An alert's own labels: SLA-wide, then its severity's, then its burn tier's (``tier``)."""
        own = self._tier(tier)
        return {**self.labels, **getattr(self.severities, severity).labels, **(own.labels if own else {})}

    def annotations_for(self, severity: str, tier: str | None = None) -> dict[str, str]:
        """An alert's own annotations, merged as its labels are; ``runbook`` is the runbook_url
        annotation unless its severity or tier sets one."""
        own = self._tier(tier)
        specific = {**getattr(self.severities, severity).annotations, **(own.annotations if own else {})}
        runbook = {"runbook_url": self.runbook} if self.runbook and "runbook_url" not in specific else {}
        return {**self.annotations, **runbook, **specific}

    @model_validator(mode="after")
    def _tiers_resolve(self) -> Alerting:
        """Every tier names a default tier to change or disable, or is a complete tier of its own."""
        names = [t.name for t in self.tiers]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"tiers: tier names must be unique, repeated: {', '.join(repeated)}")
        defaults = self.default_tier_names()
        known = ", ".join(defaults) if defaults else 'none under policy "none"'
        for index, tier in enumerate(self.tiers):
            if not tier.enabled and tier.name not in defaults:
                raise ValueError(f'tiers[{index}].name: there is no default tier "{tier.name}" to disable (default tiers: {known})')
            if not tier.enabled and (tier.labels or tier.annotations):
                raise ValueError(f'tiers[{index}]: "{tier.name}" is disabled, so it has no alert to carry labels or '
                                 "annotations (set them under severities to reach every alert of a severity)")
            if tier.enabled and tier.name not in defaults and tier.missing():
                raise ValueError(
                    f'tiers[{index}]: "{tier.name}" is not a default tier ({known}), so as a new tier it needs '
                    f"severity, longWindow and budgetConsumed (missing: {', '.join(tier.missing())})"
                )
        return self


class CreditTier(Model):
    below: Percent
    percent: Percent

    _below_a_level = field_validator("below")(_level)


_MONEY = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")


def _money(value: Any) -> Decimal:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _MONEY.match(text.strip()):
        raise ValueError(f'must be an amount such as "12000" or "12000.50" (quoted: never a float), got {given(value)}')
    return Decimal(text.strip())


Money = Annotated[Decimal, BeforeValidator(_money), PlainSerializer(lambda d: format(d, "f"), return_type=str),
                  WithJsonSchema({"type": "string", "pattern": _MONEY.pattern})]


class Fee(Model):
    """What the customer pays for one period of the window (a month for a monthly calendar): a credit's
    percent becomes an amount of it; for an SLA grouped by customer, each customer's fee. The amount is
    a quoted string ("12000.50"), so it is never a float."""

    amount: Money
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")]


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f'must include a time zone, e.g. "2026-11-01T02:00:00Z", got "{value.isoformat()}"')
    return value.astimezone(dt.timezone.utc)


AwareDatetime = Annotated[dt.datetime, AfterValidator(_utc)]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class TimeWindow(Model):
    """When: an absolute interval, or a daily/weekly recurring window (exclusions and corrections)."""

    reason: str = ""
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    schedule: Literal["daily", "weekly"] | None = None
    day: Weekday | None = None
    at: str | None = None
    duration: Duration | None = None
    timezone: TimeZoneName = "UTC"

    @field_validator("at")
    @classmethod
    def _hhmm(cls, value: str | None) -> str | None:
        if value is not None and not _HHMM.match(value):
            raise ValueError(f'must be a time of day "HH:MM" (24 h), got "{value}"')
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.schedule is None:
            return self._check_interval()
        return self._check_schedule()

    def _check_interval(self) -> Self:
        if self.start is None or self.end is None:
            raise ValueError('set "start" and "end", or a recurring "schedule" with "at" and "duration"')
        if self.end <= self.start:
            raise ValueError(f"end: must be after start ({self.start.isoformat()}), got {self.end.isoformat()}")
        return self

    def _check_schedule(self) -> Self:
        if self.start is not None or self.end is not None:
            raise ValueError('a recurring "schedule" takes "at" and "duration", not "start"/"end"')
        if self.at is None or self.duration is None:
            raise ValueError(f'schedule "{self.schedule}" needs "at" (HH:MM) and "duration" (e.g. 2h)')
        if (self.schedule == "weekly") != (self.day is not None):
            raise ValueError('"day" is required for a weekly schedule and not allowed for a daily one')
        limit = DAY if self.schedule == "daily" else WEEK
        if self.duration >= limit:
            raise ValueError(f'duration: must be shorter than the {self.schedule} period, got "{self.duration}"')
        return self


class Exclusion(TimeWindow):
    """Planned maintenance: events inside count neither as good nor as bad (masked when recorded)."""


CorrectionEffect = Literal["exclude", "good", "bad"]
CorrectionCategory = Literal["maintenance", "deployment", "upstream", "customer", "data-error", "other"]


class Correction(TimeWindow):
    """What happened, set right after the fact and applied when figures are read (pledge.slo.corrections).

    ``exclude``: the interval's events count neither as good nor as bad; ``good``: its bad time counts
    as good (time-slice SLIs only); ``bad``: all its valid events count as bad."""

    reason: str = Field(description="why: required, shown in every report the correction changes")
    effect: CorrectionEffect
    category: CorrectionCategory
    ref: str | None = Field(None, description="a change ticket or status page (URL or id)")
    approved_by: str | None = None
    objectives: list[str] | None = Field(None, description="the objectives it applies to; default all")

    @field_validator("reason")
    @classmethod
    def _says_why(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a correction must say why (e.g. the incident or change ticket's summary), got an empty reason")
        return value

    def applies_to(self, objective: str) -> bool:
        return self.objectives is None or objective in self.objectives


def _corrections_problems(spec: SLASpec) -> list[str]:
    """Cross-field checks of spec.corrections: objectives named, effect fits each SLI, no overlap."""
    problems = []
    by_name = {o.name: o for o in spec.objectives}
    for index, correction in enumerate(spec.corrections):
        where = f"corrections[{index}]"
        unknown = [n for n in correction.objectives or [] if n not in by_name]
        if unknown:
            problems.append(f'{where}.objectives: no objective {", ".join(repr(n) for n in unknown)} '
                            f'(objectives: {", ".join(by_name)})')
            continue
        if correction.effect == "good":
            for objective in (o for o in spec.objectives if correction.applies_to(o.name)):
                if objective.sli.bool_gauge is None:
                    problems.append(f'{where}.effect: effect good counts time as good; objective {objective.name} '
                                    f'counts events ({objective.sli.kind}): use exclude')
    problems += [f"corrections[{b}].start: overlaps corrections[{a}] ({first_start} to {first_end}) for "
                 f"objective {name}: one interval takes one correction"
                 for a, b, first_start, first_end, name in _overlapping(spec)]
    return problems


def _overlapping(spec: SLASpec) -> list[tuple[int, int, str, str, str]]:
    """Pairs of one-off corrections of one objective whose intervals overlap (recurring ones are
    resolved when applied: the earlier-starting piece keeps the time)."""
    found = []
    dated = [(i, c) for i, c in enumerate(spec.corrections) if c.start is not None and c.end is not None]
    for n, (a, first) in enumerate(dated):
        for b, second in dated[n + 1:]:
            assert first.start and first.end and second.start and second.end
            if first.start < second.end and second.start < first.end:
                shared = next((o.name for o in spec.objectives if first.applies_to(o.name) and second.applies_to(o.name)), None)
                if shared is not None:
                    found.append((a, b, first.start.isoformat(), first.end.isoformat(), shared))
    return found


def future_corrections(spec: SLASpec, now: float) -> list[str]:
    """"path: reason" lines for one-off corrections that end after ``now`` (the moment the SLA is
    read: validation itself has no clock). A correction states what happened; planned maintenance
    ahead goes under exclusions."""
    at = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    return [f"spec.corrections[{i}].end: is in the future ({c.end.isoformat()}, now {at.isoformat(timespec='seconds')}): "
            f"a correction records what happened; declare maintenance ahead under exclusions"
            for i, c in enumerate(spec.corrections) if c.end is not None and c.end > at]


class SLASpec(Model):
    service: Name
    customer: SeriesLabelValue | None = None
    tier: SeriesLabelValue | None = None
    owner: SeriesLabelValue | None = None
    description: str = ""
    window: Window = Window(rolling=Duration(30 * DAY))
    grouping: list[LabelName] = []
    objectives: Annotated[list[Objective], Field(min_length=1)]
    alerting: Alerting = Alerting()
    credits: list[CreditTier] = []
    credit_cap: Percent | None = None
    fee: Fee | None = None
    exclusions: list[Exclusion] = []
    corrections: list[Correction] = []
    # When a budget-critical change (targets, window, credits, exclusions, corrections) is judged from:
    # the next period boundary (the current period keeps its terms) or the moment it was accepted.
    change_policy: Literal["nextPeriod", "immediate"] | None = None

    @property
    def policy(self) -> Literal["nextPeriod", "immediate"]:
        """The change policy in force: as written, else nextPeriod for calendar windows, immediate for rolling."""
        if self.change_policy is not None:
            return self.change_policy
        return "nextPeriod" if self.window.calendar is not None else "immediate"

    @field_validator("grouping")
    @classmethod
    def _grouping_labels(cls, value: list[str]) -> list[str]:
        clash = sorted(RESERVED_LABELS & set(value))
        if clash:
            raise ValueError(f"reserved label name(s) {', '.join(clash)}: cannot group by them")
        if len(set(value)) != len(value):
            raise ValueError("lists a label more than once")
        return value

    @field_validator("objectives")
    @classmethod
    def _unique_objectives(cls, value: list[Objective]) -> list[Objective]:
        names = [o.name for o in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"objective names must be unique, repeated: {', '.join(duplicates)}")
        return value

    @field_validator("credits")
    @classmethod
    def _credit_order(cls, value: list[CreditTier]) -> list[CreditTier]:
        belows = [c.below for c in value]
        if len(set(belows)) != len(belows):
            raise ValueError("two credit tiers share the same 'below' threshold")
        ordered = sorted(value, key=lambda c: c.below, reverse=True)
        if [c.percent for c in ordered] != sorted(c.percent for c in ordered):
            raise ValueError("credit percent must grow as 'below' falls (a worse SLI never earns less credit)")
        return ordered

    @model_validator(mode="after")
    def _tiers_fit_the_period(self) -> SLASpec:
        """Each enabled tier's windows, as pledge.slo.windows resolves them: short < long <= period."""
        period = period_seconds(self.window)
        defaults = self.alerting.default_tier_names()
        for index, tier in enumerate(self.alerting.tiers):
            if tier.enabled:
                long, short = tier.windows(default_long(tier.name, period) if tier.name in defaults else None)
                _check_tier_windows(f"alerting.tiers[{index}]", tier, long, short, period)
        return self

    @model_validator(mode="after")
    def _credits_for_breaches_only(self) -> SLASpec:
        """A tier applies to the objectives whose target is at or above its ``below`` (pledge.slo.budget)."""
        highest = max(o.target for o in self.objectives)
        unused = [format_percent(c.below) for c in self.credits if c.below > highest]
        if unused:
            raise ValueError(
                f"credits: below {', '.join(unused)} is above the target of every objective (highest: "
                f"{format_percent(highest)}): such a tier would credit an SLA that meets its target"
            )
        return self


    @model_validator(mode="after")
    def _corrections_fit(self) -> SLASpec:
        if problems := _corrections_problems(self):
            raise ValueError(problems[0])  # one at a time, as the other cross-field checks
        return self


def _check_tier_windows(path: str, tier: BurnTier, long: int, short: int, period: int) -> None:
    if long > period:
        raise ValueError(f'{path}.longWindow: must not be longer than the period ({format_duration(period)}), got "{tier.long_window}"')
    if short < long:
        return
    if tier.short_window is not None:
        raise ValueError(f'{path}.shortWindow: must be shorter than longWindow ({format_duration(long)}), got "{tier.short_window}"')
    raise ValueError(
        f'{path}.longWindow: must be longer than its short window ({format_duration(short)}: longWindow / 12, '
        f'at least 5m), got "{tier.long_window}"; set a longer longWindow or a shortWindow'
    )


class Metadata(Model):
    name: Name
    namespace: Name = "default"
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}

    model_config = ConfigDict(extra="ignore")


class Condition(Model):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""
    last_transition_time: str | None = None
    observed_generation: int | None = None


# An objective's state for a period; pledge.slo.budget decides it and ranks it (worst_state). Behind: an
# open calendar period below target so far that can still end above it (Breached: it cannot, or closed below).
State = Literal["Met", "AtRisk", "Behind", "Breached", "NoData"]


class RulesStatus(Model):
    name: str
    groups: int
    rules: int


class ObjectiveStatus(Model):
    name: str
    sli: str | None = None
    budget_remaining: str | None = None
    state: State = "NoData"
    breach_probability: str | None = Field(None, description="probability of a breach within the default horizon")
    predicted_breach_at: str | None = Field(None, description="expected breach time (RFC 3339), if one is expected")


class SLAStatus(Model):
    observed_generation: int | None = None
    conditions: list[Condition] = []
    rules: RulesStatus | None = None
    objectives: list[ObjectiveStatus] = []
    state: State | None = None
    budget_remaining: str | None = None
    revision: int | None = Field(None, ge=1, description="the number of the SLARevision recording the spec in force")

    model_config = ConfigDict(extra="allow")


class ServiceLevelAgreement(Model):
    api_version: Literal["pledge.dev/v1alpha1"] = API_VERSION
    kind: Literal["ServiceLevelAgreement"] = KIND
    metadata: Metadata
    spec: SLASpec
    status: SLAStatus | None = None

    @property
    def ref(self) -> SLARef:
        return SLARef(self.metadata.namespace, self.metadata.name)

    @property
    def key(self) -> str:
        """``namespace/name``: how people and messages name the SLA."""
        return str(self.ref)


def parse_sla(document: dict[str, Any], *, now: float | None = None) -> ServiceLevelAgreement:
    """Validate one YAML/JSON document; raises SpecError with one "path: reason" line per fault.
    ``now``: the moment it is read (the caller's clock), to refuse corrections that end after it."""
    sla = validate(ServiceLevelAgreement, document)
    if now is not None and (problems := future_corrections(sla.spec, now)):
        raise SpecError(problems)
    return sla
