"""The bundled OpenAPI documents, one per provider profile, and their loader.

The YAML files beside this module are the single source of truth for shapes. A provider
document refers to shared parts in ``common.yaml``; :func:`load_spec` returns one
self-contained document with those parts inlined under ``components``. A path that refers to a
shared path item (``$ref: common.yaml#/components/pathItems/...``) gets the item itself, so
``doc["paths"][path][method]`` is always the operation; ``components/pathItems`` is not kept.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

import yaml

__all__ = ["PROVIDERS", "UnknownProvider", "load_spec", "spec_text"]

PROVIDERS: tuple[str, ...] = ("kie", "sunoapi", "apibox", "apikley")
_COMMON = "common.yaml"


class UnknownProvider(ValueError):
    """A provider name that has no bundled document."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}")
        self.name = name


def spec_text(name: str) -> str:
    """The YAML text of a bundled file: a provider name or ``"common"``."""
    if name != "common" and name not in PROVIDERS:
        raise UnknownProvider(name)
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_spec(provider: str) -> dict[str, Any]:
    """The provider's document with every ``common.yaml`` reference inlined.

    Returns a fresh copy each call, so callers may change it.
    """
    return copy.deepcopy(_bundled(provider))


@functools.cache
def _bundled(provider: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(spec_text(provider))
    common: dict[str, Any] = yaml.safe_load(spec_text("common"))
    components: dict[str, Any] = copy.deepcopy(common["components"])
    for kind, entries in doc.get("components", {}).items():
        target = components.setdefault(kind, {})
        for name, value in entries.items():
            if value == {"$ref": f"{_COMMON}#/components/{kind}/{name}"}:
                continue  # the provider re-exports the shared part under the same name
            target[name] = value
    doc["components"] = components
    result: dict[str, Any] = _localise(doc)
    items: dict[str, Any] = result["components"].pop("pathItems", {})
    result["paths"] = {path: _path_item(path, item, items) for path, item in result.get("paths", {}).items()}
    return result


def _path_item(path: str, item: dict[str, Any], items: dict[str, Any]) -> dict[str, Any]:
    """The path item itself when ``item`` refers to one under ``#/components/pathItems``."""
    ref = item.get("$ref")
    if ref is None:
        return item
    prefix = "#/components/pathItems/"
    if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix) :] not in items:
        raise ValueError(f"path {path}: $ref {ref!r} names no path item under components/pathItems")
    siblings = {key: value for key, value in item.items() if key != "$ref"}
    return {**copy.deepcopy(items[ref[len(prefix) :]]), **siblings}


def _localise(node: Any) -> Any:
    """Rewrite ``common.yaml#/x`` references to ``#/x``."""
    if isinstance(node, dict):
        out = {key: _localise(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(f"{_COMMON}#"):
            out["$ref"] = ref[len(_COMMON) :]
        return out
    if isinstance(node, list):
        return [_localise(item) for item in node]
    return node
