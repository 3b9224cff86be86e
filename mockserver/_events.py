"""What the mock is doing, as events: API requests answered, stages reached, callback attempts.

The app, the driver and delivery each hold an :class:`Events` hub and tell it what happened;
the terminal log (:mod:`mockserver._eventlog`) and the inspector's live feed
(``GET /_mock/events``) listen. Nobody listening costs one attribute check at each call
site (``if events.listeners:``): the event is only built when someone will read it.

An event never carries an API key: :func:`key_tag` names one by a hash prefix.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "Events", "Listener", "key_tag"]


@functools.lru_cache(maxsize=1024)
def _tag(token: str) -> str:
    return "#" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def key_tag(token: str | None) -> str | None:
    """A short name for an API key that reveals none of it: ``'#1a2b3c4d'`` (the sha256 prefix a 401 shows too)."""
    return None if token is None else _tag(token)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs three times as much, once per request
class Event:
    """One thing that happened.

    ``type`` is ``request`` (an API request answered), ``stage`` (a task reached a callback
    stage), ``callback`` (one delivery attempt and the receiver's answer), ``clock`` (the
    virtual clock moved) or ``reset``. ``at`` is mock time (unix seconds); ``fields`` are
    JSON-ready values that depend on the type.
    """

    type: str
    at: float
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "at": self.at, **self.fields}


Listener = Callable[[Event], None]


class Events:
    """The hub: listeners subscribe, call sites emit. A listener that raises is dropped, never the caller."""

    __slots__ = ("listeners",)

    def __init__(self) -> None:
        #: Empty when nobody listens: call sites check it before building an event.
        self.listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns the function that removes it."""
        self.listeners = (*self.listeners, listener)

        def unsubscribe() -> None:
            self.listeners = tuple(other for other in self.listeners if other is not listener)

        return unsubscribe

    def emit(self, type_: str, at: float, **fields: Any) -> None:
        """Tell every listener; call only after ``if events.listeners:``."""
        event = Event(type_, at, fields)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a broken listener (a closed pipe) must not break a request or a delivery
                self.listeners = tuple(other for other in self.listeners if other is not listener)
