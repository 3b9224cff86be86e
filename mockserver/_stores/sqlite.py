"""The SQLite store: every record, pending delivery, journal, clock and fault rule in one file.

Standard library :mod:`sqlite3`, WAL mode (readers never wait for the writer), so that a
restarted mock answers every task it had and several processes on one host share one file
(``suno-mock serve --store sqlite:PATH --workers N``).

Records are kept as :mod:`pickle` blobs of the mock's own dataclasses: the file is as trusted
as the mock's memory, so never open a file that someone else wrote.  A task written by
:meth:`SqliteStore.add` is held in the process until the current synchronous step ends (the
behaviour that made it may still change it) and written then, or before anything else reads or
journals, whichever comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from .._errors import ConfigError
from .._store import Due, Task, Track
from ._writebehind import StoredTasks, WriteBehind, dump

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

#: The layout of the file; a file of a newer layout is refused at start-up.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at REAL NOT NULL, record BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at);
CREATE TABLE IF NOT EXISTS tracks (id TEXT PRIMARY KEY, task_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tracks_task ON tracks (task_id);
CREATE TABLE IF NOT EXISTS balances (token TEXT PRIMARY KEY, amount INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS once (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL, stage TEXT NOT NULL, at REAL NOT NULL, attempt INTEGER NOT NULL,
    owner TEXT, lease_until REAL
);
CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries (at);
CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, record BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS journal_name ON journal (name, id);
CREATE TABLE IF NOT EXISTS windows (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS windows_key ON windows (key, at);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, calls INTEGER NOT NULL, fired INTEGER NOT NULL);
"""


#: Real seconds between two looks at the file's change counter (``PRAGMA data_version``, read from
#: the WAL index in shared memory: no query, no disk) by a process that waits for other processes' news.
WATCH_S = 0.02
#: The shared values whose change is news for other processes, and the topic it is published as.
_TOPICS = {"clock.virtual": "clock", "faults.version": "rules"}

#: A journal is trimmed to its size every this many records (it holds at most this many more).
_TRIM_EVERY = 64


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class _Tasks(StoredTasks["SqliteStore"]):
    def _load(self, task_id: str) -> bytes | None:
        row = self._store._one("SELECT record FROM tasks WHERE id = ?", (task_id,))
        blob: bytes | None = None if row is None else row[0]
        return blob

    def _stored(self, task_id: str) -> bool:
        return self._store._one("SELECT 1 FROM tasks WHERE id = ?", (task_id,)) is not None

    def _delete(self, task: Task) -> None:
        with self._store._write() as db:
            db.execute("DELETE FROM tasks WHERE id = ?", (task.id,))
            db.execute("DELETE FROM tracks WHERE task_id = ?", (task.id,))

    def _ids(self) -> list[str]:
        return [row[0] for row in self._store._all("SELECT id FROM tasks ORDER BY created_at")]

    def __len__(self) -> int:
        self._store.flush()
        row = self._store._one("SELECT count(*) FROM tasks", ())
        return int(row[0]) if row else 0


class _Tracks(MutableMapping[str, Track]):
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getitem__(self, track_id: str) -> Track:
        store = self._store
        for task in store._pending.values():
            for track in task.tracks:
                if track.id == track_id:
                    return track
        row = store._one("SELECT task_id FROM tracks WHERE id = ?", (track_id,))
        if row is None:
            raise KeyError(track_id)
        found = store.tasks.get(row[0])
        for track in () if found is None else found.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)

    def get(self, track_id: str, default: Any = None) -> Any:
        if not isinstance(track_id, str):
            return default
        try:
            return self[track_id]
        except KeyError:
            return default

    def __setitem__(self, track_id: str, track: Track) -> None:
        with self._store._write() as db:
            db.execute("INSERT OR REPLACE INTO tracks (id, task_id) VALUES (?, ?)", (track_id, track.task_id))

    def __delitem__(self, track_id: str) -> None:
        with self._store._write() as db:
            if not db.execute("DELETE FROM tracks WHERE id = ?", (track_id,)).rowcount:
                raise KeyError(track_id)

    def __iter__(self) -> Iterator[str]:
        self._store.flush()
        return iter([row[0] for row in self._store._all("SELECT id FROM tracks", ())])

    def __len__(self) -> int:
        self._store.flush()
        row = self._store._one("SELECT count(*) FROM tracks", ())
        return int(row[0]) if row else 0


class _Balances(MutableMapping[str, int]):
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getitem__(self, token: str) -> int:
        row = self._store._one("SELECT amount FROM balances WHERE token = ?", (token,))
        if row is None:
            raise KeyError(token)
        return int(row[0])

    def __setitem__(self, token: str, amount: int) -> None:
        with self._store._write() as db:
            db.execute("INSERT OR REPLACE INTO balances (token, amount) VALUES (?, ?)", (token, amount))

    def __delitem__(self, token: str) -> None:
        with self._store._write() as db:
            if not db.execute("DELETE FROM balances WHERE token = ?", (token,)).rowcount:
                raise KeyError(token)

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._store._all("SELECT token FROM balances", ())])

    def __len__(self) -> int:
        row = self._store._one("SELECT count(*) FROM balances", ())
        return int(row[0]) if row else 0


class _Once(MutableMapping[tuple[str, str], str]):
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def __getitem__(self, key: tuple[str, str]) -> str:
        row = self._store._one("SELECT value FROM once WHERE kind = ? AND key = ?", key)
        if row is None:
            raise KeyError(key)
        return str(row[0])

    def __setitem__(self, key: tuple[str, str], value: str) -> None:
        with self._store._write() as db:
            db.execute("INSERT OR REPLACE INTO once (kind, key, value) VALUES (?, ?, ?)", (*key, value))

    def __delitem__(self, key: tuple[str, str]) -> None:
        with self._store._write() as db:
            if not db.execute("DELETE FROM once WHERE kind = ? AND key = ?", key).rowcount:
                raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(row[0], row[1]) for row in self._store._all("SELECT kind, key FROM once", ())])

    def __len__(self) -> int:
        row = self._store._one("SELECT count(*) FROM once", ())
        return int(row[0]) if row else 0


class SqliteStore(WriteBehind):
    """Tasks, tracks, balances, deliveries, journals, clock and fault rules in one SQLite file (WAL)."""

    def __init__(self, path: str | os.PathLike[str], provider: str) -> None:
        self.path = Path(path)
        self.url = f"sqlite:{self.path}"
        if not self.path.parent.is_dir():
            raise ConfigError(
                f"store {self.url}: the directory {str(self.path.parent)!r} does not exist; "
                "create it, or give --store sqlite:PATH a path in an existing directory"
            )
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            with self._write() as db:
                db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.DatabaseError as error:
            raise ConfigError(
                f"store {self.url}: cannot be opened as a suno-mock SQLite store ({error}); "
                "point --store at a new file, or delete this one"
            ) from None
        self._lock = threading.RLock()
        #: This process's watchers (see :meth:`watch`): told of its own news at once.
        self._watchers: list[Callable[[str], None]] = []
        self._values: dict[str, bytes | None] = {}
        self._journaled = 0
        self._pending: dict[str, Task] = {}
        self._deliveries: list[tuple[str, str, float, int]] = []
        #: Records read in this step of the event loop (a request reads its source task several times).
        self._read: dict[str, Task] = {}
        self._flush_planned = False
        self.tasks: MutableMapping[str, Task] = _Tasks(self)
        self.tracks: MutableMapping[str, Track] = _Tracks(self)
        self.balances: MutableMapping[str, int] = _Balances(self)
        self.once: MutableMapping[tuple[str, str], str] = _Once(self)
        self._check(provider)
        self._join()

    def _check(self, provider: str) -> None:
        version = self.set_value_once("schema_version", str(SCHEMA_VERSION).encode())
        if int(version) > SCHEMA_VERSION:
            raise ConfigError(
                f"store {self.url}: written by a newer suno-mockkit (schema {int(version)}, this one reads "
                f"{SCHEMA_VERSION}); upgrade suno-mockkit, or point --store at a new file"
            )
        held = self.set_value_once("provider", provider.encode()).decode()
        if held != provider:
            raise ConfigError(
                f"store {self.url}: holds the tasks of provider {held!r}, not {provider!r}; "
                f"start with --provider {held}, or point --store at a new file"
            )

    # the store interface --------------------------------------------------------------------
    @property
    def shared(self) -> SqliteStore:
        return self

    def flush(self) -> None:
        """Write the tasks added or saved since the last flush."""
        self._flush_planned = False
        if not self._pending and not self._deliveries:
            return
        due = bool(self._deliveries)
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write_pending(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        if due:
            self._tell("due")

    def _write_pending(self, db: sqlite3.Connection) -> None:
        pending, self._pending = self._pending, {}
        self._flush_planned = False
        deliveries, self._deliveries = self._deliveries, []
        if pending:
            self._tell_siblings()
            rows = [(task.id, task.created_at, dump(task)) for task in pending.values()]
            tracks = [(track.id, task.id) for task in pending.values() for track in task.tracks]
            db.executemany("INSERT OR REPLACE INTO tasks (id, created_at, record) VALUES (?, ?, ?)", rows)
            db.executemany("INSERT OR REPLACE INTO tracks (id, task_id) VALUES (?, ?)", tracks)
        if deliveries:
            db.executemany("INSERT INTO deliveries (task_id, stage, at, attempt) VALUES (?, ?, ?, ?)", deliveries)
            self._notice(db, "due")

    def debit(self, token: str, cost: int, starting: int) -> tuple[bool, int]:
        """Read and write the balance in one ``BEGIN IMMEDIATE`` transaction: no other process writes between."""
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT amount FROM balances WHERE token = ?", (token,)).fetchone()
                balance = starting if row is None else int(row[0])
                paid = balance >= cost
                if paid:
                    balance -= cost
                    db.execute("INSERT OR REPLACE INTO balances (token, amount) VALUES (?, ?)", (token, balance))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return paid, balance

    def evict(self, created_before: float, keep: int | None) -> int:
        self.flush()  # called after the step that made the tasks held (see Tasks._sweep)
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                gone = db.execute("SELECT id FROM tasks WHERE created_at < ?", (created_before,)).fetchall()
                if keep is not None:
                    held = int(db.execute("SELECT count(*) FROM tasks").fetchone()[0]) - len(gone)
                    if held > keep:
                        gone += db.execute(
                            "SELECT id FROM tasks WHERE created_at >= ? ORDER BY created_at LIMIT ?",
                            (created_before, held - keep),
                        ).fetchall()
                db.executemany("DELETE FROM tasks WHERE id = ?", gone)
                db.executemany("DELETE FROM tracks WHERE task_id = ?", gone)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self._read.clear()
        if gone:
            self._tell_siblings()
        return len(gone)

    def clear(self) -> None:
        self._pending.clear()
        self._deliveries.clear()
        self._read.clear()
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            for table in ("tasks", "tracks", "balances", "once", "deliveries", "journal", "windows", "counters"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE name LIKE 'journal.%'")
            db.execute("COMMIT")

    async def disconnect(self) -> None:
        """Nothing to do: the connection is a plain sqlite3 one, closed by :meth:`close`."""

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.flush()
            self._db.close()

    # deliveries -------------------------------------------------------------------------------
    def schedule(self, task_id: str, stage: str, at: float, attempt: int = 1) -> None:
        """Held with the tasks until the flush, which writes both in one transaction (never one without the other)."""
        self._deliveries.append((task_id, stage, at, attempt))
        self._plan_flush()

    async def claim(self, now: float, owner: str, lease_s: float, limit: int) -> list[Due]:
        wall = time.time()
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    # a lease that ran out was a process that died mid-attempt: that attempt counts
                    "UPDATE deliveries SET owner = ?, lease_until = ?, attempt = attempt + (lease_until IS NOT NULL)"
                    " WHERE id IN ("
                    " SELECT id FROM deliveries WHERE at <= ? AND (lease_until IS NULL OR lease_until < ?)"
                    " ORDER BY at, id LIMIT ?) RETURNING id, task_id, stage, at, attempt",
                    (owner, wall + lease_s, now, wall, limit),
                ).fetchall()
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return sorted((Due(*row) for row in rows), key=lambda due: (due.at, due.id))

    async def retry(self, due: Due, at: float) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE deliveries SET at = ?, attempt = ?, owner = NULL, lease_until = NULL WHERE id = ?",
                (at, due.attempt + 1, due.id),
            )

    async def done(self, due: Due) -> None:
        with self._write() as db:
            db.execute("DELETE FROM deliveries WHERE id = ?", (due.id,))

    async def next_due(self) -> float | None:
        row = self._one("SELECT min(at) FROM deliveries", ())
        return None if row is None or row[0] is None else float(row[0])

    def release(self, owner: str) -> None:
        with self._write() as db:
            db.execute("UPDATE deliveries SET owner = NULL, lease_until = NULL WHERE owner = ?", (owner,))

    # shared values ------------------------------------------------------------------------------
    def get_value(self, name: str) -> bytes | None:
        """The value, read once per step of the event loop (the clock is read many times per request)."""
        cache = self._values
        if name in cache:
            return cache[name]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            row = self._one("SELECT value FROM meta WHERE name = ?", (name,))
            return None if row is None else _bytes(row[0])
        # the values every request reads come in one query for the step, not one each
        names = [name, *(n for n in _TOPICS if n != name and n not in cache)]
        marks = ", ".join("?" * len(names))
        held = {
            row[0]: _bytes(row[1])
            for row in self._all(f"SELECT name, value FROM meta WHERE name IN ({marks})", tuple(names))
        }
        if not cache:
            loop.call_soon(cache.clear)
        for one in names:
            cache[one] = held.get(one)
        return cache[name]

    def set_value(self, name: str, value: bytes) -> None:
        self._values.pop(name, None)
        self._tell_siblings()
        topic = _TOPICS.get(name)
        with self._write() as db:
            if topic is None:
                db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))
                self._notice(db, topic)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self._tell(topic)

    def set_value_once(self, name: str, value: bytes) -> bytes:
        self._values.pop(name, None)
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, value))
        held = self.get_value(name)
        return value if held is None else held

    # journals -----------------------------------------------------------------------------------
    def journal_add(self, journal: str, record: bytes, keep: int) -> None:
        """Append a record in one transaction with the tasks still held; trim to ``keep`` every 64 records."""
        self._journaled += 1
        due = bool(self._deliveries)
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write_pending(db)
                db.execute("INSERT INTO journal (name, record) VALUES (?, ?)", (journal, record))
                if keep > 0 and (self._journaled % _TRIM_EVERY == 0 or keep < _TRIM_EVERY):
                    gone = db.execute(
                        "DELETE FROM journal WHERE name = ? AND id <= (SELECT id FROM journal WHERE name = ?"
                        " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                        (journal, journal, keep),
                    ).rowcount
                    if gone:
                        db.execute(
                            "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET"
                            " value = CAST(CAST(value AS INTEGER) + ? AS TEXT)",
                            (f"journal.{journal}.dropped", str(gone), gone),
                        )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        if due:
            self._tell("due")

    def journal_read(self, journal: str) -> list[bytes]:
        return [bytes(row[0]) for row in self._all("SELECT record FROM journal WHERE name = ? ORDER BY id", (journal,))]

    def journal_dropped(self, journal: str) -> int:
        value = self.get_value(f"journal.{journal}.dropped")
        return 0 if value is None else int(value)

    def journal_clear(self, journal: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM journal WHERE name = ?", (journal,))
            db.execute("DELETE FROM meta WHERE name = ?", (f"journal.{journal}.dropped",))

    # rate-limit windows -------------------------------------------------------------------------
    def admit(self, key: str, limit: int, window_s: float, now: float) -> float | None:
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM windows WHERE key = ? AND at <= ?", (key, now - window_s))
                rows = db.execute("SELECT at FROM windows WHERE key = ? ORDER BY at LIMIT ?", (key, limit)).fetchall()
                if len(rows) >= limit:
                    wait: float | None = float(rows[0][0]) + window_s - now
                else:
                    db.execute("INSERT INTO windows (key, at) VALUES (?, ?)", (key, now))
                    wait = None
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return wait

    # fault-rule counters ---------------------------------------------------------------------------
    def count_call(self, name: str) -> tuple[int, int]:
        with self._write() as db:
            row = db.execute(
                "INSERT INTO counters (name, calls, fired) VALUES (?, 1, 0)"
                " ON CONFLICT (name) DO UPDATE SET calls = calls + 1 RETURNING calls, fired",
                (name,),
            ).fetchone()
        return int(row[0]), int(row[1])

    def count_fire(self, name: str, times: int | None) -> bool:
        """One ``UPDATE ... WHERE fired < times``: of two processes racing for the last firing, one wins."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE counters SET fired = fired + 1 WHERE name = ? AND (? IS NULL OR fired < ?)",
                (name, times, times),
            ).rowcount
        return bool(changed)

    def count_read(self, name: str) -> tuple[int, int]:
        row = self._one("SELECT calls, fired FROM counters WHERE name = ?", (name,))
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def count_forget(self, names: list[str] | None = None) -> None:
        with self._write() as db:
            if names is None:
                db.execute("DELETE FROM counters")
            else:
                db.executemany("DELETE FROM counters WHERE name = ?", [(n,) for n in names])

    # notifications ------------------------------------------------------------------------------
    def publish(self, topic: str) -> None:
        with self._write() as db:
            self._notice(db, topic)
        self._tell(topic)

    async def watch(self, changed: Callable[[str], None]) -> None:
        """SQLite has no pub/sub: look at the file's change counter every :data:`WATCH_S` (a read of shared memory).

        Only when another connection committed are the topic counters (rows ``notify.TOPIC`` of
        ``meta``) read; a topic whose counter moved is reported.  This process's own news is
        reported at once, by the store that published it.
        """
        self._watchers.append(changed)
        try:
            seen = self._one("PRAGMA data_version", ())[0]
            counts = self._notices()
            changed("watching")
            while True:
                await asyncio.sleep(WATCH_S)
                version = self._one("PRAGMA data_version", ())[0]
                if version == seen:
                    continue
                seen = version
                now = self._notices()
                for topic, count in now.items():
                    if counts.get(topic) != count:
                        changed(topic)
                counts = now
        finally:
            self._watchers.remove(changed)

    def _notice(self, db: sqlite3.Connection, topic: str) -> None:
        db.execute(
            "INSERT INTO meta (name, value) VALUES (?, '1') ON CONFLICT (name) DO UPDATE SET"
            " value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
            (f"notify.{topic}",),
        )

    def _notices(self) -> dict[str, str]:
        rows = self._all("SELECT name, value FROM meta WHERE name LIKE 'notify.%'", ())
        return {str(name)[len("notify.") :]: str(value) for name, value in rows}

    def _tell(self, topic: str) -> None:
        for changed in list(self._watchers):
            changed(topic)

    # plumbing -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        lock = getattr(self, "_lock", None)
        if lock is None:  # while opening
            yield self._db
            return
        with lock:
            yield self._db

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()
