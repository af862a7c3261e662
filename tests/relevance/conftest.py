"""The real catalog, imported once per session through the metadata feed: the search index is
built by the import's change notifications, as `encore import` builds it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.bootstrap import Services, bootstrap
from encore.catalog.feed import FeedImporter
from encore.config import load_settings
from tests.relevance.suite import FEED, Case, feed_keys, load_cases
from tests.servers import require_server


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FEED.is_file():
        require_server("The shared Spotify songs feed", f"{FEED} is missing (see ../shared/data)")
    data = tmp_path_factory.mktemp("relevance")
    services = bootstrap(load_settings(data_dir=data))
    try:
        FeedImporter(uow=services.uow, on_change=services.catalog.changed).run(FEED)
    finally:
        services.close()
    return data


@pytest.fixture
def services(imported: Path) -> Iterator[Services]:
    services = bootstrap(load_settings(data_dir=imported))
    yield services
    services.close()


@pytest.fixture(scope="session")
def cases() -> list[Case]:
    return load_cases()


@pytest.fixture(scope="session")
def keys() -> dict[str, tuple[str, str]]:
    return feed_keys()
