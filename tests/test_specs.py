"""The bundled documents: valid OpenAPI, complete, and shipped inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver import openapi

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {
    ("post", "/api/v1/generate"),
    ("post", "/api/v1/generate/extend"),
    ("get", "/api/v1/generate/record-info"),
    ("post", "/api/v1/generate/replace-section"),
}
CREDIT_PATH = {
    "kie": "/api/v1/chat/credit",
    "apikley": "/api/v1/chat/credit",
    "sunoapi": "/api/v1/generate/credit",
    "apibox": "/api/v1/generate/credit",
}


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_bundled_document_is_valid_openapi(provider: str) -> None:
    validate(openapi.load_spec(provider))


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_source_file_with_relative_refs_is_valid_openapi(provider: str) -> None:
    spec, base_uri = read_from_filename(str(ROOT / "openapi" / f"{provider}.yaml"))
    validate(spec, base_uri=base_uri)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_required_operations_are_documented(provider: str) -> None:
    spec = openapi.load_spec(provider)
    served = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert served >= REQUIRED | {("get", CREDIT_PATH[provider])}
    assert "common.yaml" not in str(spec), "the bundle still points at the common file"


def _replace_schema(provider: str) -> dict[str, object]:
    schema = openapi.load_spec(provider)["components"]["schemas"]["ReplaceSectionRequest"]
    assert isinstance(schema, dict)
    return schema


@pytest.mark.parametrize(
    ("provider", "selector", "full_lyrics", "interval"),
    [
        ("kie", "audioId", True, None),
        ("apikley", "audioId", True, (6, 60)),
        ("apibox", "musicIndex", False, None),
        ("sunoapi", "audioId", False, (6, 60)),
    ],
)
def test_replace_section_follows_each_seed(
    provider: str, selector: str, full_lyrics: bool, interval: tuple[int, int] | None
) -> None:
    schema = _replace_schema(provider)
    properties = schema["properties"]
    assert isinstance(properties, dict)
    required = schema["required"]
    assert isinstance(required, list)
    assert selector in required
    assert ({"audioId", "musicIndex"} - {selector}).isdisjoint(properties)
    assert ("fullLyrics" in properties) is full_lyrics
    rule = schema["x-interval"]
    assert isinstance(rule, dict)
    assert (rule.get("minSeconds"), rule.get("maxSeconds")) == (interval or (None, None))


def test_unknown_provider_is_refused_with_the_choices() -> None:
    with pytest.raises(openapi.UnknownProvider, match="kie, sunoapi, apibox, apikley"):
        openapi.load_spec("suno")


def test_specs_ship_inside_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("suno_mockkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("common", *openapi.PROVIDERS):
        assert f"mockserver/_specs/{name}.yaml" in names
    assert "mockserver/_app.py" in names


@pytest.mark.parametrize("name", ["common", *openapi.PROVIDERS])
def test_no_key_reads_as_null(name: str) -> None:
    """A plain scalar with ", " inside a flow mapping silently becomes a key with an empty (null) value.

    An explicit ``null`` (examples show pending or failed answers) is allowed; an empty value is not.
    """
    import yaml

    def walk(node: yaml.Node, path: str) -> list[str]:
        if isinstance(node, yaml.MappingNode):
            found = []
            for key, value in node.value:
                where = f"{path}/{key.value}"
                if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and value.value == "":
                    found.append(where)
                found += walk(value, where)
            return found
        if isinstance(node, yaml.SequenceNode):
            return [p for item in node.value for p in walk(item, path)]
        return []

    document = yaml.compose(openapi.spec_text(name))
    assert document is not None
    assert walk(document, "") == []


def _typed(node: Any) -> Any:
    """A document with every scalar's type beside it, so that ``True`` and ``1``, or ``1`` and ``1.0``, differ."""
    if isinstance(node, dict):
        return {key: _typed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_typed(item) for item in node]
    return (type(node).__name__, node)


def _bundled_files() -> list[str]:
    return sorted(entry.name for entry in openapi.documents().iterdir() if entry.name.endswith(".yaml"))


@pytest.mark.parametrize("filename", _bundled_files())
def test_libyaml_and_pure_loaders_build_equal_documents(filename: str) -> None:
    """Start-up parses the bundled files with libyaml where PyYAML has it: the same documents as the pure loader."""
    import yaml

    text = openapi.documents().joinpath(filename).read_text(encoding="utf-8")
    pure = yaml.load(text, Loader=yaml.SafeLoader)
    fast = yaml.load(text, Loader=yaml.CSafeLoader)
    assert isinstance(pure, dict) and pure
    assert _typed(fast) == _typed(pure)


def test_load_spec_without_libyaml_is_the_same_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where PyYAML was built without libyaml the loader falls back to the pure one, with the same bundle."""
    import yaml

    fast = openapi.load_spec("kie")
    monkeypatch.setattr(openapi, "_LOADER", yaml.SafeLoader)
    openapi._bundled.cache_clear()
    try:
        pure = openapi.load_spec("kie")
    finally:
        openapi._bundled.cache_clear()
    assert _typed(pure) == _typed(fast)


def _plain_deref(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """The straightforward inliner: resolve a ``$ref``, lay its siblings over it, and walk the result again."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                raise ValueError(f"recursive $ref {ref} is not supported")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = {**_plain_deref(target, root, (*seen, ref)), **{k: v for k, v in node.items() if k != "$ref"}}
            return _plain_deref(merged, root, (*seen, ref))
        return {key: _plain_deref(value, root, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain_deref(item, root, seen) for item in node]
    return node


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_deref_inlines_every_operation_as_the_plain_inliner_does(provider: str) -> None:
    """``_spec.deref`` walks each part once (start-up); every path item of every bundle comes out the same."""
    from mockserver._spec import deref

    spec = openapi.load_spec(provider)
    for path, item in spec["paths"].items():
        assert _typed(deref(item, spec)) == _typed(_plain_deref(item, spec)), path
    assert "$ref" in str(spec["paths"])  # the bundles do refer to shared parts: the walk has work to do


def test_deref_lays_siblings_over_the_target_and_inlines_them() -> None:
    root = {
        "components": {
            "schemas": {
                "Id": {"type": "string", "minLength": 1},
                "Named": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"}}},
            }
        }
    }
    node = {"$ref": "#/components/schemas/Named", "description": "x", "items": [{"$ref": "#/components/schemas/Id"}]}
    from mockserver._spec import deref

    expected = {
        "type": "object",
        "properties": {"id": {"type": "string", "minLength": 1}},
        "description": "x",
        "items": [{"type": "string", "minLength": 1}],
    }
    assert deref(node, root) == expected == _plain_deref(node, root)
    with pytest.raises(ValueError, match="recursive"):
        deref({"$ref": "#/a"}, {"a": {"b": {"$ref": "#/a"}}})
