"""Shared fixtures for the decision core's tests."""

from __future__ import annotations

import pytest

from eligibility.policy import load_bundled
from eligibility.programme import PolicySet


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    """The bundled policy set (examples already run at load)."""
    return load_bundled()
