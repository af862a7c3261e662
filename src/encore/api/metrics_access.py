"""Who may scrape `/metrics`.

What it exposes: request counts and latencies per route template and status, and the process's
CPU, memory and file descriptors. No listener's data, but a map of the traffic and of the
server's health that is nobody else's business: with `metrics_token` set, a scraper sends it
as a bearer token, from anywhere; without, only clients on the loopback interface get an answer
(a Prometheus on the same host, or `curl 127.0.0.1:8080/metrics`). A request relayed by a proxy
that uvicorn trusts carries the original client's address, so a public proxy in front does not
turn the internet into loopback.
"""

import hmac
import ipaddress

from fastapi import Request
from pydantic import SecretStr
from starlette.responses import Response

from encore.api.problems import problem


class MetricsAccess:
    def __init__(self, token: SecretStr | None) -> None:
        self._token = None if token is None else token.get_secret_value().encode()

    def refusal(self, request: Request) -> Response | None:
        """None when this request may read the metrics, else the answer that refuses it."""
        if self._token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), self._token):
                return None
            return problem(
                401,
                kind="metrics-token",
                detail="Send the metrics token: `Authorization: Bearer <metrics_token>`",
                instance=request.url.path,
                headers={"WWW-Authenticate": 'Bearer realm="encore-metrics"'},
            )
        if _loopback(request.client.host if request.client else ""):
            return None
        return problem(
            403,
            kind="metrics-loopback-only",
            detail="Metrics answer clients on this host only; set `metrics_token` to scrape "
            "them from elsewhere",
            instance=request.url.path,
        )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
