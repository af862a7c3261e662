"""Fuzz every operation of the OpenAPI document: whatever arrives, Encore answers in its schema,
never with a 500, and every failure is problem+json."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

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


def test_no_operation_breaks(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {app.state.fuzz_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=50,
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
            # Some schema-valid input is still refused on purpose (an email at a reserved
            # domain, a duplicate): only the rest of the checks apply.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        answers_properly()
