"""What a request's ASGI scope says, read once: its headers, and its query and base URL kept per distinct value.

Clients poll alike (the same record-info query, the same host), so the parsed forms are kept for
the next request and built again only for a new value; each table is bounded, and values too long
to be worth keeping are parsed every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.types import Scope

__all__ = ["ScopeCache", "scope_headers"]

#: The query of a request that has none (shared: QueryParams cannot be changed).
_NO_QUERY = QueryParams()
#: Distinct query strings whose parsed form is kept (a poll of record-info repeats its query), and the
#: longest kept (``taskId=`` and a 32-character id is 39 bytes): at most about 1 MB however long queries get.
_QUERIES_KEPT = 1024
_QUERY_KEPT_BYTES = 256
#: Distinct (host, scheme, root path) base URLs kept, and the longest Host header kept.
_BASE_URLS_KEPT = 256
_HOST_KEPT_BYTES = 256


def scope_headers(scope: Scope) -> dict[str, str]:
    """The request headers by lower-case name, the first of repeated ones winning (as Starlette's ``get``)."""
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in reversed(scope["headers"])}


class ScopeCache:
    """Parsed query strings and base URLs of the requests seen, bounded; :meth:`clear` on reset."""

    def __init__(self) -> None:
        self._base_urls: dict[tuple[Any, ...], str] = {}
        self._queries: dict[bytes, QueryParams] = {}

    def clear(self) -> None:
        self._queries.clear()
        self._base_urls.clear()

    def query(self, raw: bytes) -> QueryParams:
        """The parsed query string, kept for the next request with the same one (clients poll alike).

        QueryParams cannot be changed, so one object can serve every such request.
        """
        if not raw:
            return _NO_QUERY
        found = self._queries.get(raw)
        if found is None:
            found = QueryParams(raw)
            if len(raw) <= _QUERY_KEPT_BYTES:
                if len(self._queries) >= _QUERIES_KEPT:
                    self._queries.clear()
                self._queries[raw] = found
        return found

    def base_url(self, request: Request, headers: Mapping[str, str]) -> str:
        """``request.base_url`` without its trailing slash, worked out once per host, scheme and root path."""
        scope = request.scope
        server = scope.get("server")
        key = (
            scope.get("scheme"),
            None if server is None else tuple(server),  # a list under some test clients
            headers.get("host"),
            scope.get("app_root_path"),
            scope.get("root_path"),
        )
        found = self._base_urls.get(key)
        if found is None:
            found = str(request.base_url).rstrip("/")
            if len(headers.get("host", "")) <= _HOST_KEPT_BYTES:
                if len(self._base_urls) >= _BASE_URLS_KEPT:
                    self._base_urls.clear()
                self._base_urls[key] = found
        return found
