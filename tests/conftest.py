"""Shared fixtures: the sample portal, built once and served on a free loopback port."""

import sys
from pathlib import Path

import pytest

from crawler.portal import PortalServer, build_portal

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def portal():
    return build_portal()


@pytest.fixture(scope="session")
def portal_server(portal):
    with PortalServer(portal=portal) as server:
        yield server


@pytest.fixture(scope="session")
def python():
    return sys.executable
