"""The CRD's schema as the API server would apply it, without a kube-apiserver: jsonschema's Draft 4
validator for the OpenAPI v3.0 schema (it keeps Draft 4's boolean exclusiveMinimum) and cel-python for
its x-kubernetes-validations rules. tests/unit/test_crd.py checks the CRD; tests/e2e admits SLAs with it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import celpy
import jsonschema
from celpy.adapter import json_to_cel
from celpy.celtypes import BoolType
from celpy.evaluation import CELEvalError

from pledge.sla.crd import build_crd

SCHEMA: dict[str, Any] = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path or "(root)", schema
    for name, sub in schema.get("properties", {}).items():
        yield from nodes(sub, f"{path}.{name}")
    if "items" in schema:
        yield from nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], f"{path}.*")


@cache
def program(rule: str) -> celpy.Runner:
    env = celpy.Environment()
    return env.program(env.compile(rule))


def holds(rule: str, value: Any) -> bool:
    try:
        result = program(rule).evaluate({"self": json_to_cel(value)})
    except CELEvalError:
        return False  # the API server counts a runtime error as a broken rule
    return isinstance(result, BoolType) and bool(result)


def cel_failures(schema: dict[str, Any], value: Any) -> list[str]:
    """Messages of the x-kubernetes-validations rules that ``value`` breaks, evaluated as the API server would."""
    failures = [v["message"] for v in schema.get("x-kubernetes-validations", []) if not holds(v["rule"], value)]
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                failures += cel_failures(sub, value[name])
        if isinstance(schema.get("additionalProperties"), dict):
            for item in value.values():
                failures += cel_failures(schema["additionalProperties"], item)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            failures += cel_failures(schema["items"], item)
    return failures


def schema_errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((".".join(map(str, e.absolute_path)), e.message) for e in VALIDATOR.iter_errors(document))
