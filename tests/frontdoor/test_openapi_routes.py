"""The OpenAPI document stays in step with the routes: every route is documented (but the
document itself), the document names no route the service does not have, and an operation is
documented as signed exactly when its handler authenticates through ``frontdoor.service.signed``."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from frontdoor.app import ROUTES
from frontdoor.openapi import openapi_document

METHODS = {"get", "put", "post", "delete", "patch"}


def served() -> dict[tuple[str, str], Callable[..., Any]]:
    return {(route.path, method.lower()): route.endpoint for route in ROUTES
            for method in route.methods or () if method != "HEAD"}


def calls_signed(handler: Callable[..., Any]) -> bool:
    tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
               and node.func.id == "signed" for node in ast.walk(tree))


@pytest.mark.parametrize("mode", ["la", "school"])
def test_the_openapi_document_lists_exactly_the_routes(mode: str) -> None:
    documented = {(path, method) for path, operations in
                  openapi_document(mode, 1024 * 1024)["paths"].items()
                  for method in operations if method in METHODS}
    assert set(served()) - {("/openapi.json", "get")} == documented


@pytest.mark.parametrize("mode", ["la", "school"])
def test_an_operation_is_documented_as_signed_exactly_when_its_route_checks_the_signature(
        mode: str) -> None:
    paths = openapi_document(mode, 1024 * 1024)["paths"]
    for (path, method), handler in served().items():
        if path == "/openapi.json":
            assert not calls_signed(handler)
            continue
        assert ("security" in paths[path][method]) == calls_signed(handler), (path, method)


def test_each_route_is_served_once() -> None:
    assert len(served()) == sum(len((r.methods or set()) - {"HEAD"}) for r in ROUTES)
