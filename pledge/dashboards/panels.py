"""Grafana building blocks shared by both dashboards, on grafana-foundation-sdk's typed builders.

Every panel reads the dashboard's ``datasource`` variable, so one JSON file works with whichever
Prometheus data source the Grafana it is imported into has.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig
from grafana_foundation_sdk.models.common import GraphTresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableHide,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from pledge.slo.budget import STATE_CODE, State
from pledge.dashboards.queries import ALL

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
COLOURS: dict[State, str] = {"Met": "green", "AtRisk": "orange", "Breached": "red"}
STATES = {str(code): (state, COLOURS[state]) for state, code in STATE_CODE.items()}
LEGEND = "{{sla_namespace}}/{{sla}} {{objective}}"


def datasource_variable() -> dashboard.DatasourceVariable:
    return dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def query_variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    """A multi-value variable of a label's values; "All" is ``.*``, which matches a missing label too."""
    return (dashboard.QueryVariable(name).label(label).datasource(DATASOURCE).query(query)
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(ALL)
            .current(VariableOption(selected=True, text="All", value="$__all")).hide(VariableHide.DONT_HIDE))


def target(expr: str, ref: str, legend: str = LEGEND, instant: bool = False, rows: bool = False) -> prometheus.Dataquery:
    """A range query, or an instant one (``rows``: as table rows, for a table panel to merge)."""
    query = prometheus.Dataquery().expr(expr).ref_id(ref).legend_format(legend).datasource(DATASOURCE)
    if not instant:
        return query.range()
    return query.instant().format(PromQueryFormat.TABLE if rows else PromQueryFormat.TIME_SERIES)


def refs(exprs: Sequence[str], legends: Sequence[str] | None = None) -> list[prometheus.Dataquery]:
    """Range targets A, B, ... for ``exprs``."""
    return [target(e, chr(ord("A") + i), legends[i] if legends else LEGEND) for i, e in enumerate(exprs)]


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=value, color=color) for value, color in steps])


def chart(title: str, description: str, exprs: Sequence[str], unit: str, legends: Sequence[str] | None = None,
          lines: Sequence[tuple[float, str]] = (), width: int = 12) -> timeseries.Panel:
    """A time series panel; ``lines`` are (value, colour) threshold lines drawn across it."""
    panel = (timeseries.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit)
             .targets(list(refs(exprs, legends))).height(8).span(width))
    if lines:
        panel = panel.thresholds(thresholds((None, "transparent"), *lines)).thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.LINE))
    return panel


def single(title: str, description: str, expr: str, unit: str, steps: Sequence[tuple[float | None, str]],
           width: int = 4, empty: str = "no data", legend: str = LEGEND) -> stat.Panel:
    """A stat panel of one instant value per series, coloured by ``steps``; ``empty`` shows when there is none
    (a count of nothing is "0")."""
    return (stat.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit).no_value(empty)
            .with_target(target(expr, "A", legend, instant=True)).thresholds(thresholds(*steps)).height(8).span(width))


def state_mappings() -> list[ValueMap]:
    return [ValueMap(options={value: ValueMappingResult(text=text, color=color, index=int(value))
                              for value, (text, color) in STATES.items()})]


def merged_table(title: str, description: str, columns: dict[str, str], width: int = 24) -> table.Panel:
    """One row per series, one column per query (named by the ``columns`` keys), joined on labels."""
    targets = [target(expr, name, legend=name, instant=True, rows=True) for name, expr in columns.items()]
    renames = {f"Value #{name}": name for name in columns}
    return (table.Panel().title(title).description(description).datasource(DATASOURCE).targets(list(targets))
            .with_transformation(DataTransformerConfig(id_val="merge", options={}))
            .with_transformation(DataTransformerConfig(id_val="organize", options={
                "excludeByName": {"Time": True}, "renameByName": renames}))
            .mappings(list(state_mappings())).height(10).span(width))


def alerts_table(title: str, description: str, expr: str) -> table.Panel:
    return (table.Panel().title(title).description(description).datasource(DATASOURCE)
            .with_target(target(expr, "A", instant=True, rows=True))
            .with_transformation(DataTransformerConfig(id_val="organize", options={
                "excludeByName": {"Time": True, "Value": True, "__name__": True, "alertstate": True}}))
            .height(8).span(24))


def annotation(name: str, expr: str, color: str) -> dashboard.AnnotationQuery:
    """A Prometheus annotation: a region wherever ``expr`` has a sample."""
    return dashboard.AnnotationQuery().name(name).datasource(DATASOURCE).enable(True).icon_color(color).expr(expr)
