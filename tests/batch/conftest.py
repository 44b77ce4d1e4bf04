"""Shared fixtures for the batch tests: the policy set and the example register's people."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

from eligibility.determination import determine
from eligibility.facts import Applicant, nest_paths
from eligibility.policy import load_bundled
from eligibility.programme import PolicySet

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 11, 5)


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    """The bundled policy set."""
    return load_bundled()


@pytest.fixture(scope="session")
def example() -> ModuleType:
    """`examples/make_register.py`, imported from its file."""
    spec = importlib.util.spec_from_file_location(
        "make_register", ROOT / "examples/make_register.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nested(facts: dict[str, Any]) -> dict[str, Any]:
    """Dotted facts nested into the shape of `Applicant`."""
    return nest_paths(facts)


def reference(facts: dict[str, Any], policies: PolicySet, as_of: dt.date = AS_OF) -> dict[str, Any]:
    """What `determine` says for these facts: verdict and amount per programme."""
    applicant = msgspec.convert(nested(facts), Applicant)
    out: dict[str, Any] = {}
    for d in determine(applicant, policies, today=as_of):
        out[f"{d.programme}.verdict"] = d.verdict
        out[f"{d.programme}.amount"] = d.amount
    return out
