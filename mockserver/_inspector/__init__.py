"""The inspector: the admin API's read side for a person (tasks, one task's timeline, a live feed) and the page.

:class:`Inspector` adds to the admin API under ``/_mock``: ``GET /_mock/tasks`` (paginated, filtered),
``GET /_mock/tasks/{taskId}`` (one task's timeline, callbacks, tracks, files, creating request),
``GET /_mock/events`` (server-sent events of :mod:`mockserver._events`) and the page at
``/_mock/ui`` (plain HTML, JS and CSS shipped in ``static/``). The page reads the admin API only.
With an admin token (``--admin-token``) :func:`guard.refusal` keeps the admin API closed to
requests without it.
"""

from .feed import EventFeed
from .guard import refusal
from .routes import Inspector

__all__ = ["EventFeed", "Inspector", "refusal"]
