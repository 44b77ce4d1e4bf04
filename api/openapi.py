"""Tightening the generated OpenAPI document so that it says what the service enforces.

Litestar's generator leaves two gaps that a contract fuzzer (and any client generator) trips on:

- a Struct with `forbid_unknown_fields=True` rejects unknown fields, but its schema allows
  them: we set `additionalProperties: false` on those components;
- plain unions (`int | float`, `T | None`) come out as `oneOf`, which fails a value matching
  two branches (18 is both an integer and a number): untagged unions become `anyOf`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPI, Schema


def strict_struct_names(modules: Iterable[ModuleType]) -> set[str]:
    """Names of the Structs in `modules` that reject unknown fields."""
    names = set()
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__struct_config__.forbid_unknown_fields
            ):
                names.add(value.__name__)
    return names


def tighten(document: OpenAPI, strict_names: set[str]) -> None:
    """Apply both fixes in place (see the module docstring)."""
    if document.components and document.components.schemas:
        for name, schema in document.components.schemas.items():
            if name in strict_names and isinstance(schema, Schema):
                schema.additional_properties = False
    _walk(document, set())


def _walk(node: Any, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, Schema) and node.one_of is not None and node.discriminator is None:
        node.any_of, node.one_of = node.one_of, None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _walk(getattr(node, field.name), seen)
    elif isinstance(node, dict):
        for value in node.values():
            _walk(value, seen)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, seen)
