"""Test helpers: a client that checks every answer against the bundled spec.

The check reads the OpenAPI document directly with jsonschema; it does not use the mock's own
validation code, so a mock that drifts from its spec fails here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import mutagen.mp4
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from mockserver import openapi

AUTH = {"Authorization": "Bearer test-token"}
#: A valid Generate Music body (custom mode), without ``callBackUrl``: tests add their own.
GENERATE_BODY = {
    "customMode": True,
    "instrumental": False,
    "model": "V4_5",
    "prompt": "[Verse]\nNeon rain",
    "style": "synthwave",
    "title": "Harbour Lights",
}


class SpecViolation(AssertionError):
    pass


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class SpecChecker:
    """Validates answers (and callback payloads) against one provider document."""

    def __init__(self, provider: str) -> None:
        self.spec = openapi.load_spec(provider)
        self.registry = Registry().with_resource("urn:spec", Resource.from_contents(self.spec, DRAFT202012))
        self._templates = [
            (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path) for path in self.spec["paths"]
        ]

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=self.registry)

    def response_pointer(self, method: str, path: str, status: int) -> str | None:
        for pattern, template in self._templates:
            if pattern.match(path):
                op = self.spec["paths"][template].get(method.lower())
                if op is None:
                    return None
                response = op["responses"].get(str(status))
                if response is None:
                    raise SpecViolation(f"{method} {path}: HTTP {status} is not documented")
                if "$ref" in response:
                    ref: str = response["$ref"]
                    return ref[1:] + "/content/application~1json/schema"
                return (
                    "/"
                    + _pointer("paths", template, method.lower(), "responses", str(status))
                    + ("/content/application~1json/schema")
                )
        return None

    def check_response(self, response: httpx.Response) -> None:
        request = response.request
        path = request.url.path
        if path.startswith("/_mock") or path == "/openapi.json":
            return
        body = response.json()
        if (
            response.status_code != 200
            and set(body) == {"code", "msg", "data"}
            and body["code"] == response.status_code
        ):
            status = 200  # mirrored status: judge the envelope by the 200 schema
        else:
            status = response.status_code
        pointer = self.response_pointer(request.method, path, status)
        if pointer is None:
            # undocumented path or method: the documented not-found envelope
            if body.get("code") != 404 or not isinstance(body.get("msg"), str) or body.get("data") is not None:
                raise SpecViolation(f"{request.method} {path}: expected the 404 envelope, got {body}")
            return
        errors = sorted(self.validator(pointer).iter_errors(body), key=str)
        if errors:
            raise SpecViolation(f"{request.method} {path} answered {body} which breaks its spec: {errors[0].message}")

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any]]:
        """(path, method, operation object) of an operationId."""
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == operation_id:
                    return path, method, op
        raise KeyError(f"{operation_id} is not in the {self.spec['info']['title']} document")

    def check_operation_callback(self, operation_id: str, payload: Any) -> None:
        """Validate a callback against the schema the creating operation declares under ``callbacks``."""
        path, method, op = self.operation(operation_id)
        (name, callback), *_ = op["callbacks"].items()
        if "$ref" in callback:
            pointer = callback["$ref"][1:]
        else:
            pointer = "/" + _pointer("paths", path, method, "callbacks", name)
        (expression,) = [key for key in self.resolve(pointer) if key.startswith("{")]
        schema = pointer + "/" + _pointer(expression, "post", "requestBody", "content", "application/json", "schema")
        errors = list(self.validator(schema).iter_errors(payload))
        if errors:
            raise SpecViolation(f"{operation_id} callback {payload} breaks its spec: {errors[0].message}")

    def resolve(self, pointer: str) -> Any:
        node: Any = self.spec
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def check_callback(self, kind: str, payload: Any) -> None:
        """``kind`` is a name under components/callbacks (Music, Replace)."""
        pointer = "/" + _pointer(
            "components",
            "callbacks",
            kind,
            "{$request.body#/callBackUrl}",
            "post",
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
        errors = list(self.validator(pointer).iter_errors(payload))
        if errors:
            raise SpecViolation(f"{kind} callback {payload} breaks its spec: {errors[0].message}")


@contextmanager
def spec_client(app: Any, provider: str, **kwargs: Any) -> Iterator[TestClient]:
    """A TestClient whose every answer must validate against the provider's spec."""
    checker = SpecChecker(provider)

    def hook(response: httpx.Response) -> None:
        response.read()
        checker.check_response(response)

    with TestClient(app, **kwargs) as client:
        client.event_hooks = {"response": [hook]}
        yield client


def mp4_info(data: bytes) -> mutagen.mp4.MP4Info:
    """What mutagen (an independent parser) reads from an MP4 file's audio track."""
    # mutagen's constructors are unannotated and FileType declares ``info = None``.
    info: object = mutagen.mp4.MP4(io.BytesIO(data)).info  # type: ignore[no-untyped-call]  # mutagen: no annotations
    assert isinstance(info, mutagen.mp4.MP4Info), info
    return info
