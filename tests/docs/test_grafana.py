"""The Grafana dashboard queries only metrics that a running Encore exports."""

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from encore.api.app import create_app
from encore.bootstrap import Services
from tests.e2e.conftest import LOOPBACK

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "encore.json"
# PromQL's words that are not metric names: functions, aggregations, modifiers.
PROMQL_WORDS = frozenset(
    {"sum", "count", "avg", "min", "max", "rate", "irate", "increase", "histogram_quantile"}
    | {"label_replace", "time", "by", "without", "on", "ignoring", "group_left", "offset"}
    | {"and", "or", "unless", "bool", "label_values"}
)


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        query = node.get("query")
        if isinstance(query, dict) and isinstance(query.get("query"), str):
            found.append(query["query"])
        return found + [e for value in node.values() for e in _expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in _expressions(value)]
    return []


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    # label_values(metric, label): the second argument is a label.
    text = re.sub(r"label_values\(\s*(\w*)\s*,\s*\w+\s*\)", r"(\1)", text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # label lists
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {w for w in words - PROMQL_WORDS if not w.startswith("__")}


def test_reading_names_out_of_promql() -> None:
    assert metric_names(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route="/x/{id}"}[5m])))'
    ) == {"a_bucket"}
    assert metric_names('time() - b_seconds{job=~"$job"}') == {"b_seconds"}


def test_every_metric_the_dashboard_queries_is_exported(services: Services) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"], "no panels"
    with TestClient(create_app(services), client=LOOPBACK) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/me").status_code == 401
        exposition = client.get("/metrics").text
    exported = {
        sample.name
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
    queried = {name for expr in _expressions(dashboard) for name in metric_names(expr)}
    assert "encore_http_requests_total" in queried
    assert queried - exported == set()
    panels_without_query = [p["title"] for p in dashboard["panels"] if not _expressions(p)]
    assert panels_without_query == []
