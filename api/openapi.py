"""Tightening the generated OpenAPI document so that it says what the service enforces.

Litestar's generator (2.25) leaves gaps that a contract fuzzer (and any client generator) trips
on:

- a Struct with `forbid_unknown_fields=True` rejects unknown fields, but its schema allows
  them: we set `additionalProperties: false` on those components;
- plain unions (`int | float`, `T | None`) come out as `oneOf`, which fails a value matching
  two branches (18 is both an integer and a number): untagged unions become `anyOf`;
- a bound of 0 (`Meta(ge=0)`) is dropped (it tests the value for truth): the Structs' own
  bounds, from msgspec's JSON Schema, are put back where Litestar left them out (query
  parameters say theirs with `schema_extra`);
- every operation that reads a body may answer 413 (too large) and 415 (not its media type),
  which no handler declares one by one.
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


def structs(modules: Iterable[ModuleType]) -> dict[str, type[msgspec.Struct]]:
    """The Structs of `modules` by name (as the document's components are named)."""
    return {
        value.__name__: value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
    }


def tighten(
    document: OpenAPI,
    strict_names: set[str],
    struct_types: dict[str, type[msgspec.Struct]] | None = None,
) -> None:
    """Apply the fixes in place (see the module docstring)."""
    if document.components and document.components.schemas:
        for name, schema in document.components.schemas.items():
            if not isinstance(schema, Schema):
                continue
            if name in strict_names:
                schema.additional_properties = False
            if struct_types and name in struct_types:
                _restore_bounds(schema, struct_types[name])
    _walk(document, set())
    _body_problems(document)


# msgspec's JSON Schema keyword -> Litestar's `Schema` attribute, for every bound it can drop.
_BOUNDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_items",
    "maxItems": "max_items",
}


def _bounds(node: dict[str, Any]) -> dict[str, Any]:
    """The bounds of a property's JSON Schema, on it or on one of its union branches."""
    found = {key: node[key] for key in _BOUNDS if key in node}
    for branch in node.get("anyOf", []) + node.get("oneOf", []):
        found.update({key: branch[key] for key in _BOUNDS if key in branch})
    return found


def _has(schema: Schema, attribute: str) -> bool:
    branches = [schema, *(schema.any_of or []), *(schema.one_of or [])]
    return any(getattr(b, attribute, None) is not None for b in branches if isinstance(b, Schema))


def _restore_bounds(component: Schema, struct: type[msgspec.Struct]) -> None:
    (root,), definitions = msgspec.json.schema_components([struct])
    own = definitions.get(root["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in root else root
    for name, property_schema in (own.get("properties") or {}).items():
        target = (component.properties or {}).get(name)
        if not isinstance(target, Schema):
            continue
        for keyword, value in _bounds(property_schema).items():
            if not _has(target, _BOUNDS[keyword]):
                setattr(target, _BOUNDS[keyword], value)


def _body_problems(document: OpenAPI) -> None:
    """413 and 415 problems on every operation that has a request body, shaped like its 400."""
    for path_item in (document.paths or {}).values():
        for method in ("post", "put", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None or operation.request_body is None or not operation.responses:
                continue
            bad_request = operation.responses.get("400")
            if bad_request is None:
                continue
            for status, description in (
                ("413", "Request Entity Too Large"),
                ("415", "Unsupported Media Type"),
            ):
                if status not in operation.responses:
                    operation.responses[status] = dataclasses.replace(
                        bad_request, description=description
                    )


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
