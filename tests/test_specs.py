"""The bundled documents: valid OpenAPI, complete, and shipped inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

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
