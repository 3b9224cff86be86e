"""Where callbacks may go: loopback always, and the hosts, addresses and CIDR networks of ``--callback-allow``.

Host names are compared literally and never resolved, so a name cannot be pointed elsewhere later.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_allowed", "is_loopback", "refusal"]


def _host_of(url: str) -> str | None:
    """Return the lower-case host of an http(s) URL, or None if it is not one."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host


def is_loopback(host: str) -> bool:
    """Return True for ``localhost``, 127.0.0.0/8 and ``::1`` (IPv4-mapped too; brackets and case ignored)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _matches(host: str, entry: str) -> bool:
    """Return True if ``host`` is the allowed host name, IP address or CIDR network ``entry``."""
    entry = entry.strip().strip("[]").lower()
    if host == entry:
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def is_allowed(url: str, allow: frozenset[str] = frozenset()) -> bool:
    """Return True if callbacks may be sent to ``url``.

    Allowed are http(s) URLs to loopback (``localhost``, 127.0.0.0/8, ``::1``)
    and to the host names, IP addresses or CIDR networks listed in ``allow``.
    Host names are compared literally; they are never resolved.
    """
    host = _host_of(url)
    return host is not None and (is_loopback(host) or any(_matches(host, entry) for entry in allow))


def refusal(url: str) -> str:
    """Explain why ``url`` (already known not to be allowed) was refused, and how to allow it."""
    host = _host_of(url)
    if host is None:
        return f"callBackUrl {url!r} is not an http(s) URL with a host; no callback was sent"
    return f"host {host!r} is not allowed; start the mock with --callback-allow {host}"
