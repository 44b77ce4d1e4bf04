"""Shared fixtures for the decision core's tests."""

from __future__ import annotations

import pytest

from eligibility.policy import PolicySet, load_bundled


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    """The bundled policy set (examples already run at load)."""
    return load_bundled()
