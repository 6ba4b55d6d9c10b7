"""What the tests share: the only test code another test module may import (tests/unit/test_test_imports.py).

slas             the one SLA factory: document(), sla() (parsed), with_spec(), as_yaml()
world            the API tests' world (history, truth, a store holding it) and the API's clients
api_checks       the API's figure, alert and report checks, run over Prometheus and VictoriaMetrics
victoria         VictoriaMetrics and vmalert holding the same world
browser          the console's Chromium tab and the API served from a thread
cluster          kmock as the Kubernetes API server for the real kopf operator, and the examples as SLAs
crd_schema       the CRD's schema and CEL rules applied as the API server would
generated        the SLAs whose generated rules unit tests inspect, and their rules by kind
promql           an evaluator for label-free time arithmetic, and helpers over promql_parser's AST
tiles            a simulation of the tiles group (every tile counted once)
alert_scenarios  the `promtool test rules` alert-timing scenarios
promtool_unit    `promtool test rules` runs and probes
hostile          an SLA whose user text tries every Go-template trick
peers            the vendored peer SLO files (tests/data/peers), imported
events, moments, dashboards: exact event counts, the worlds' fixed instants, the dashboards' queries
"""
