"""The bundled OpenAPI documents, one per provider profile, and their loader.

The YAML files in the repository's ``openapi/`` folder are the single source of truth for shapes.
The wheel ships them as package data in ``mockserver/_specs/`` (``pyproject.toml``, hatch
``force-include``), so the kit installs no top-level ``openapi`` package of its own (PyPI's
``openapi`` distribution owns that import name); a source checkout or an editable install reads
them from ``openapi/`` beside the package. A provider
document refers to shared parts in ``common.yaml``; :func:`load_spec` returns one
self-contained document with those parts inlined under ``components``. A path that refers to a
shared path item (``$ref: common.yaml#/components/pathItems/...``) gets the item itself, so
``doc["paths"][path][method]`` is always the operation; ``components/pathItems`` is not kept.

A provider document may name further files beside it in a top-level ``x-include`` list (kie.yaml
includes ``kie-market.yaml``). Their ``paths`` and ``components`` are merged into the provider's
(their other top-level keys are ignored; they may refer to ``common.yaml#`` and to their own
``#/components``), and ``x-include`` is not kept. An included path or component may not reuse a
name the provider or ``common.yaml`` already has, except to re-export a shared part under its
own name (``Name: {$ref: common.yaml#/components/<kind>/Name}``).
"""

from __future__ import annotations

import copy
import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from ._errors import ConfigError, MockError

__all__ = ["PROVIDERS", "UnknownProvider", "documents", "load_spec", "spec_text"]

PROVIDERS: tuple[str, ...] = ("kie", "sunoapi", "apibox", "apikley")
_COMMON = "common.yaml"
_INCLUDE = "x-include"
_INCLUDABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.yaml")


class UnknownProvider(ConfigError):
    """A provider name that has no bundled document."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}")
        self.name = name


def spec_text(name: str) -> str:
    """The YAML text of a bundled file: a provider name or ``"common"``."""
    if name != "common" and name not in PROVIDERS:
        raise UnknownProvider(name)
    return _file_text(f"{name}.yaml")


@functools.cache
def documents() -> Traversable:
    """The folder holding the bundled YAML files: the wheel's package data, else the checkout's ``openapi/``."""
    packaged = resources.files(__package__ or "mockserver").joinpath("_specs")
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / "openapi"
    if (source / f"{_COMMON}").is_file():
        return source
    raise MockError(f"no bundled OpenAPI documents: neither {packaged} nor {source} holds {_COMMON}")


def _file_text(filename: str) -> str:
    return documents().joinpath(filename).read_text(encoding="utf-8")


#: PyYAML's libyaml-backed safe loader where the wheel has libyaml (5-7x faster on the bundled
#: documents, the bulk of start-up), else its pure-Python one; both build equal documents
#: (``tests/test_specs.py`` parses every bundled file with each and compares them, types included).
_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> Any:
    """One bundled YAML file's document, parsed with the fastest safe loader available."""
    return yaml.load(text, Loader=_LOADER)


def load_spec(provider: str) -> dict[str, Any]:
    """The provider's document with every ``common.yaml`` reference inlined.

    Returns a fresh copy each call, so callers may change it.
    """
    return copy.deepcopy(_bundled(provider))


@functools.cache
def _bundled(provider: str) -> dict[str, Any]:
    doc: dict[str, Any] = _parse(spec_text(provider))
    common: dict[str, Any] = _parse(spec_text("common"))
    components: dict[str, Any] = copy.deepcopy(common["components"])
    _merge_components(components, doc.get("components", {}), None)
    paths: dict[str, Any] = dict(doc.get("paths") or {})
    for filename in _includes(provider, doc.pop(_INCLUDE, [])):
        part: dict[str, Any] = _parse(_file_text(filename))
        for path, item in (part.get("paths") or {}).items():
            if path in paths:
                raise ValueError(f"{filename}: path {path} is already in {provider}.yaml or an earlier include")
            paths[path] = item
        _merge_components(components, part.get("components", {}), filename)
    doc["paths"] = paths
    doc["components"] = components
    result: dict[str, Any] = _localise(doc)
    items: dict[str, Any] = result["components"].pop("pathItems", {})
    result["paths"] = {path: _path_item(path, item, items) for path, item in result.get("paths", {}).items()}
    return result


def _includes(provider: str, names: Any) -> list[str]:
    """The file names of a provider document's ``x-include`` list, checked."""
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{provider}.yaml: {_INCLUDE} must be a list of file names, got {names!r}")
    for name in names:
        if not _INCLUDABLE.fullmatch(name) or name in (_COMMON, f"{provider}.yaml"):
            raise ValueError(f"{provider}.yaml: {_INCLUDE} names {name!r}, not another YAML file beside it")
        if not documents().joinpath(name).is_file():
            raise ValueError(f"{provider}.yaml: {_INCLUDE} names {name!r}, which is not in the package")
    return names


def _merge_components(target: dict[str, Any], source: dict[str, Any], include: str | None) -> None:
    """Add ``source``'s components to ``target``; an included file (``include``) may not replace one."""
    for kind, entries in source.items():
        bucket = target.setdefault(kind, {})
        for name, value in entries.items():
            if value == {"$ref": f"{_COMMON}#/components/{kind}/{name}"}:
                continue  # the document re-exports the shared part under the same name
            if include is not None and name in bucket:
                raise ValueError(f"{include}: components/{kind}/{name} is already defined")
            bucket[name] = value


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


_FILE_REF = re.compile(r"([A-Za-z0-9][A-Za-z0-9_-]*\.yaml)(#.*)")


def _localise(node: Any) -> Any:
    """Rewrite ``common.yaml#/x`` references, and those to another bundled file (``voice.yaml#/x``), to ``#/x``.

    A reference to a file beside this module holds in the bundle only when the provider includes
    that file (its components are merged); the spec tests resolve every reference of each bundle.
    """
    if isinstance(node, dict):
        out = {key: _localise(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and (found := _FILE_REF.fullmatch(ref)) is not None:
            out["$ref"] = found.group(2)
        return out
    if isinstance(node, list):
        return [_localise(item) for item in node]
    return node
