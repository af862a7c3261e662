"""Fuzz every operation of the OpenAPI document: whatever arrives, Encore answers in its schema,
never with a 500, and every failure is problem+json."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks

from encore.accounts.model import Plan
from encore.api.app import create_app
from encore.bootstrap import bootstrap
from encore.config import load_settings
from tests.e2e.conftest import FAST_PASSWORDS


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    # No limits and no sign-in delay: the fuzzer signs in wrongly and searches far more often
    # than a person, and every answer it gets should be about its input.
    settings = load_settings(
        data_dir=data, login_attempts_per_minute=100_000, login_delay_max_s=0, rate_limits=False
    )
    services = bootstrap(settings, passwords=FAST_PASSWORDS)
    services.accounts.add_user(
        email="fuzz@example.com", password="correct horse", country="SE", plan=Plan.FAMILY
    )
    application = create_app(services)
    application.state.fuzz_token = services.accounts.sign_in(
        email="fuzz@example.com", password="correct horse"
    ).access_token
    yield application
    services.close()


# Examples per operation: some 60 operations, about 25 s in all on a quiet machine.
EXAMPLES = 25
# The checks on the answer itself, named so that none goes missing quietly. Left out:
# `positive_data_acceptance` (some schema-valid input is refused on purpose: an email at a
# reserved domain, a duplicate) and the checks that send requests of their own (ignored auth,
# unsupported methods, use after free...), which the authorization matrix covers.
CHECKS_ON_ANSWERS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
}


def _checks() -> list[CheckFunction]:
    load_all_checks()
    every = {check.__name__: check for check in CHECKS.get_all()}
    assert every.keys() >= CHECKS_ON_ANSWERS
    return [every[name] for name in sorted(CHECKS_ON_ANSWERS)]


def test_no_operation_breaks(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {app.state.fuzz_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    checks = _checks()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def answers_properly(case: Case) -> None:
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.text}"
            if response.status_code >= 400:
                content_type = response.headers["content-type"][0]
                assert content_type == "application/problem+json", f"{where}: {response.text}"
            case.validate_response(response, checks=checks)

        answers_properly()
