"""The burn windows are declared once (pledge.slo.windows); the API's route and the forecaster derive theirs."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from pledge.api.app import create_app
from pledge.api.auth import TokenStore
from pledge.api.figures import WINDOW_LABELS
from pledge.api.routes import BurnWindow
from pledge.api.settings import Settings
from pledge.api.sources import StaticSource
from pledge.slo.windows import BURN_WINDOWS
from pledge.sla import format_duration

WINDOW = TypeAdapter(BurnWindow)


def test_every_reader_derives_the_one_tuple() -> None:
    assert WINDOW_LABELS == tuple(format_duration(w) for w in BURN_WINDOWS) == ("5m", "30m", "1h", "6h", "1d", "3d")


@pytest.mark.parametrize("label", WINDOW_LABELS)
def test_the_history_route_takes_each_window(label: str) -> None:
    assert WINDOW.validate_python(label) == label


def test_another_window_is_refused_with_the_list() -> None:
    with pytest.raises(ValidationError, match="must be one of 5m, 30m, 1h, 6h, 1d, 3d"):
        WINDOW.validate_python("2h")


def test_the_openapi_schema_lists_the_windows() -> None:
    spec = create_app(StaticSource([]), TokenStore([]), Settings()).openapi()
    parameters = spec["paths"]["/v1/slas/{namespace}/{name}/history"]["get"]["parameters"]
    window = next(p for p in parameters if p["name"] == "window")
    assert window["schema"]["enum"] == list(WINDOW_LABELS)
