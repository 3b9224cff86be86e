"""The Redis store: the state of several mock processes on several hosts, in Redis's own primitives.

- a task is a hash ``task:{id}`` (its record and creation time), a track the string ``track:{id}``
  naming its task; ``tasks`` is a sorted set of ids by creation time (count, eviction order);
- balances and once-only results are hashes;
- pending deliveries are the sorted set ``due`` (score: mock time) of ids whose fields are the
  hash ``delivery:{id}``; a process claims due ones with one Lua script, which also puts them in
  the sorted set ``leases`` (score: the wall time the lease ends), so a delivery claimed by a
  process that dies is taken over by another once its lease has run out;
- the request and callback journals are streams capped at the journal size (``XADD MAXLEN``);
- rate-limit windows are sorted sets of call times, checked and counted by one Lua script;
- the virtual clock, the scaled clock's start and the admin fault rules are plain keys;
- a balance is drawn by one Lua script (read, check and write: no other client runs between);
- fault-rule counters are the hash ``counters`` (``HINCRBY`` per matching call; a rule's firing is
  counted by a Lua script only while it is under its ``times``);
- news (``due``: deliveries were added; ``clock``: the virtual clock moved; ``rules``: the admin
  fault rules changed) is published on the channel ``notify``, which every waiting process
  subscribes to, so it wakes at once rather than at its next poll.

Every key starts with ``suno-mock:{provider}:``, so one Redis database can hold the mocks of
several providers.  The records and deliveries are read through the synchronous client (the
behaviours that read them are synchronous); the delivery loop claims, retries and finishes
deliveries through the ``redis.asyncio`` client, so it never blocks the event loop.

Records are :mod:`pickle` blobs of the mock's own dataclasses: give the mock a Redis that only
mocks write to.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import secrets
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from .._errors import ConfigError
from .._store import Due, Task, Track
from ._writebehind import StoredTasks, WriteBehind, dump

try:
    import redis
    import redis.asyncio as aredis
except ImportError:  # pragma: no cover - the extra is not installed
    redis = None  # type: ignore[assignment]
    aredis = None  # type: ignore[assignment]

__all__ = ["SCHEMA_VERSION", "RedisStore"]

#: The layout of the keys; a database written by a newer layout is refused at start-up.
SCHEMA_VERSION = 1

# KEYS: due, leases; ARGV: now, wall, lease_s, limit, owner, prefix.  Returns [id, task, stage, at, attempt]*.
_CLAIM = """
local out = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 4 * tonumber(ARGV[4]))
for i = 1, #ids, 2 do
  if #out >= 5 * tonumber(ARGV[4]) then break end
  local id = ids[i]
  local held = redis.call('ZSCORE', KEYS[2], id)
  if (not held) or tonumber(held) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[3]), id)
    local key = ARGV[6] .. 'delivery:' .. id
    redis.call('HSET', key, 'owner', ARGV[5])
    if held then redis.call('HINCRBY', key, 'attempt', 1) end
    local fields = redis.call('HMGET', key, 'task', 'stage', 'attempt')
    table.insert(out, id)
    table.insert(out, fields[1])
    table.insert(out, fields[2])
    table.insert(out, ids[i + 1])
    table.insert(out, fields[3])
  end
end
return out
"""

# KEYS: due, leases; ARGV: wall.  The earliest due delivery under no live lease, or false.
_NEXT = """
local cursor = 0
while true do
  local ids = redis.call('ZRANGE', KEYS[1], cursor, cursor + 63, 'WITHSCORES')
  if #ids == 0 then return false end
  for i = 1, #ids, 2 do
    local held = redis.call('ZSCORE', KEYS[2], ids[i])
    if (not held) or tonumber(held) < tonumber(ARGV[1]) then return ids[i + 1] end
  end
  cursor = cursor + 64
end
"""

# KEYS: leases; ARGV: owner, prefix.  Drop every lease the owner holds.
_RELEASE = """
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  if redis.call('HGET', ARGV[2] .. 'delivery:' .. id, 'owner') == ARGV[1] then
    redis.call('ZREM', KEYS[1], id)
  end
end
return 0
"""

# KEYS: window; ARGV: now, window_s, limit, member.  nil when admitted (and counted), else seconds to wait.
_ADMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1]))
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 60)
return false
"""


# KEYS: balances; ARGV: token, cost, starting.  {1, balance after} when paid, else {0, balance held}.
_DEBIT = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
local balance = tonumber(held or ARGV[3])
local cost = tonumber(ARGV[2])
if balance < cost then return {0, balance} end
redis.call('HSET', KEYS[1], ARGV[1], balance - cost)
return {1, balance - cost}
"""

# KEYS: counters; ARGV: field of the rule's firings, times ('' for no bound).  1 when counted, else 0.
_FIRE = """
local fired = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if ARGV[2] ~= '' and fired >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""

#: The shared values whose change is news for other processes, and the topic it is published as.
_TOPICS = {"clock.virtual": "clock", "faults.version": "rules"}
#: Real seconds before a watcher whose connection broke subscribes again (the poll covers the gap).
_RESUBSCRIBE_S = 1.0


class _Tasks(StoredTasks["RedisStore"]):
    def _load(self, task_id: str) -> bytes | None:
        blob: bytes | None = self._store._sync.hget(self._store._key("task:", task_id), "record")
        return blob

    def _stored(self, task_id: str) -> bool:
        return bool(self._store._sync.exists(self._store._key("task:", task_id)))

    def _delete(self, task: Task) -> None:
        store = self._store
        pipe = store._sync.pipeline()
        pipe.delete(store._key("task:", task.id))
        pipe.zrem(store._key("tasks"), task.id)
        for track in task.tracks:
            pipe.delete(store._key("track:", track.id))
        pipe.execute()

    def _ids(self) -> list[str]:
        return [m.decode() for m in self._store._sync.zrange(self._store._key("tasks"), 0, -1)]

    def __len__(self) -> int:
        self._store.flush()
        return int(self._store._sync.zcard(self._store._key("tasks")))


class _Tracks(MutableMapping[str, Track]):
    def __init__(self, store: RedisStore) -> None:
        self._store = store

    def __getitem__(self, track_id: str) -> Track:
        store = self._store
        for task in store._pending.values():
            for track in task.tracks:
                if track.id == track_id:
                    return track
        owner = store._sync.get(store._key("track:", track_id))
        found = None if owner is None else store.tasks.get(owner.decode())
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
        self._store._sync.set(self._store._key("track:", track_id), track.task_id)

    def __delitem__(self, track_id: str) -> None:
        if not self._store._sync.delete(self._store._key("track:", track_id)):
            raise KeyError(track_id)

    def __iter__(self) -> Iterator[str]:
        store = self._store
        start = len(store._key("track:"))
        return iter([k.decode()[start:] for k in store._sync.scan_iter(match=store._key("track:", "*"))])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Hash(MutableMapping[Any, Any]):
    """A Redis hash seen as a mapping: ``balances`` (token -> int) and ``once`` ((kind, key) -> id)."""

    def __init__(self, store: RedisStore, name: str, *, pair: bool) -> None:
        self._store = store
        self._name = store._key(name)
        self._pair = pair

    def _field(self, key: Any) -> str:
        return "\x1f".join(key) if self._pair else str(key)

    def _value(self, raw: bytes) -> Any:
        return raw.decode() if self._pair else int(raw)

    def __getitem__(self, key: Any) -> Any:
        raw = self._store._sync.hget(self._name, self._field(key))
        if raw is None:
            raise KeyError(key)
        return self._value(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._store._sync.hset(self._name, self._field(key), value)

    def __delitem__(self, key: Any) -> None:
        if not self._store._sync.hdel(self._name, self._field(key)):
            raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        names = [f.decode() for f in self._store._sync.hkeys(self._name)]
        return iter([tuple(n.split("\x1f", 1)) if self._pair else n for n in names])

    def __len__(self) -> int:
        return int(self._store._sync.hlen(self._name))


class RedisStore(WriteBehind):
    """Tasks, tracks, balances, deliveries, journals, clock and fault rules in one Redis database."""

    def __init__(self, url: str, provider: str) -> None:
        if redis is None:
            raise ConfigError(
                f"store {url}: the Redis store needs the redis package; pip install 'suno-mockkit[redis]'"
            )
        self.url = url
        self._prefix = f"suno-mock:{provider}:"
        try:
            # Any: the client's answers are bytes here (decode_responses off), which its types do not say
            self._sync: Any = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=30)
            self._sync.ping()
        except ValueError as error:
            raise ConfigError(f"store {url!r} is not a Redis URL ({error}); use redis://HOST:PORT/DB") from None
        except redis.RedisError as error:
            raise ConfigError(
                f"store {url}: cannot reach Redis ({error}); start redis-server there, or fix --store"
            ) from None
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._claim = self._sync.register_script(_CLAIM)
        self._next = self._sync.register_script(_NEXT)
        for script in (self._claim, self._next):
            self._sync.script_load(script.script)
        self._release = self._sync.register_script(_RELEASE)
        self._admit = self._sync.register_script(_ADMIT)
        self._debit = self._sync.register_script(_DEBIT)
        self._fire = self._sync.register_script(_FIRE)
        self._channel = self._key("notify")
        self._pending: dict[str, Task] = {}
        self._deliveries: list[tuple[str, str, float, int]] = []
        #: Records read in this step of the event loop (a request reads its source task several times).
        self._read: dict[str, Task] = {}
        self._values: dict[str, bytes | None] = {}
        #: Real seconds a task's keys live (set on a scaled clock: retention plus grace, in real time);
        #: None on a virtual clock, whose time Redis cannot follow: the eviction sweep removes them.
        self.ttl_s: float | None = None
        self._flush_planned = False
        self.tasks: MutableMapping[str, Task] = _Tasks(self)
        self.tracks: MutableMapping[str, Track] = _Tracks(self)
        self.balances: MutableMapping[str, int] = _Hash(self, "balances", pair=False)
        self.once: MutableMapping[tuple[str, str], str] = _Hash(self, "once", pair=True)
        version = self.set_value_once("schema_version", str(SCHEMA_VERSION).encode())
        if int(version) > SCHEMA_VERSION:
            self._sync.close()  # a store refused at start-up leaves no connection open
            raise ConfigError(
                f"store {url}: written by a newer suno-mockkit (schema {int(version)}, this one reads "
                f"{SCHEMA_VERSION}); upgrade suno-mockkit, or use another database number"
            )
        self._join()

    def _key(self, *parts: str) -> str:
        return self._prefix + "".join(parts)

    async def _run(self, script: Any, keys: list[str], *args: Any) -> Any:
        """Run a Lua script through the asyncio client (loaded again if the server forgot it)."""
        client = self._aclient()
        try:
            return await client.evalsha(script.sha, len(keys), *keys, *args)
        except aredis.ResponseError as error:  # NoScriptError: Redis restarted or SCRIPT FLUSH
            if "NOSCRIPT" not in str(error):
                raise
            return await client.eval(script.script, len(keys), *keys, *args)

    def _aclient(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = aredis.Redis.from_url(self.url, socket_connect_timeout=3, socket_timeout=30)
            self._async_loop = loop
        return self._async

    # the store interface ----------------------------------------------------------------------
    @property
    def shared(self) -> RedisStore:
        return self

    def flush(self) -> None:
        """Write the tasks added or saved since the last flush (one round trip)."""
        self._flush_planned = False
        if not self._pending and not self._deliveries:
            return
        pipe = self._sync.pipeline(transaction=True)
        self._queue_pending(pipe)
        pipe.execute()

    def debit(self, token: str, cost: int, starting: int) -> tuple[bool, int]:
        paid, balance = self._debit(keys=[self._key("balances")], args=[token, cost, starting])
        return bool(paid), int(balance)

    def _queue_pending(self, pipe: Any) -> None:
        pending, self._pending = self._pending, {}
        self._flush_planned = False
        if pending:
            self._tell_siblings()
        for task in pending.values():
            key = self._key("task:", task.id)
            pipe.hset(key, mapping={"record": dump(task), "created_at": task.created_at})
            pipe.zadd(self._key("tasks"), {task.id: task.created_at})
            ttl = None if self.ttl_s is None else max(1, int(self.ttl_s))
            if ttl is not None:
                pipe.expire(key, ttl)
            for track in task.tracks:
                pipe.set(self._key("track:", track.id), task.id, ex=ttl)
        deliveries, self._deliveries = self._deliveries, []
        for task_id, stage, at, attempt in deliveries:
            delivery = str(secrets.randbits(62))  # unique enough, and no round trip for an id
            fields = {"task": task_id, "stage": stage, "attempt": attempt}
            pipe.hset(self._key("delivery:", delivery), mapping=fields)
            pipe.zadd(self._key("due"), {delivery: at})
        if deliveries:
            pipe.publish(self._channel, "due")

    def evict(self, created_before: float, keep: int | None) -> int:
        self.flush()  # called after the step that made the tasks held (see Tasks._sweep)
        index = self._key("tasks")
        gone = [m.decode() for m in self._sync.zrangebyscore(index, "-inf", f"({created_before!r}")]
        if keep is not None:
            extra = int(self._sync.zcard(index)) - len(gone) - keep
            if extra > 0:
                gone += [m.decode() for m in self._sync.zrange(index, len(gone), len(gone) + extra - 1)]
        for start in range(0, len(gone), 500):
            batch = gone[start : start + 500]
            pipe = self._sync.pipeline(transaction=False)
            for task_id in batch:
                pipe.hget(self._key("task:", task_id), "record")
            blobs = pipe.execute()
            pipe = self._sync.pipeline(transaction=False)
            for task_id, blob in zip(batch, blobs, strict=True):
                if blob is not None:
                    for track in pickle.loads(blob).tracks:
                        pipe.delete(self._key("track:", track.id))
                pipe.delete(self._key("task:", task_id))
            pipe.zrem(index, *batch)
            pipe.execute()
        self._read.clear()
        if gone:
            self._tell_siblings()
        return len(gone)

    def clear(self) -> None:
        self._pending.clear()
        self._deliveries.clear()
        self._read.clear()
        keep = {self._key("value:schema_version"), self._key("value:faults.admin"), self._key("value:faults.version")}
        keep |= {self._key("value:clock.virtual"), self._key("value:clock.scaled")}
        batch = [k for k in self._sync.scan_iter(match=self._prefix + "*", count=1000) if k.decode() not in keep]
        for start in range(0, len(batch), 1000):
            self._sync.delete(*batch[start : start + 1000])

    async def disconnect(self) -> None:
        client, loop = self._async, self._async_loop
        if client is not None and loop is asyncio.get_running_loop():
            self._async = None
            await client.aclose()

    def close(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self.flush()
        self._sync.close()
        client, self._async = self._async, None
        loop = self._async_loop
        if client is not None and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                if loop.is_running():
                    loop.create_task(client.aclose())

    # deliveries ---------------------------------------------------------------------------------
    def schedule(self, task_id: str, stage: str, at: float, attempt: int = 1) -> None:
        """Held with the tasks until the flush, which writes both in one pipeline (the task first)."""
        self._deliveries.append((task_id, stage, at, attempt))
        self._plan_flush()

    async def claim(self, now: float, owner: str, lease_s: float, limit: int) -> list[Due]:
        client = self._aclient()
        keys = [self._key("due"), self._key("leases")]
        rows = await self._run(self._claim, keys, now, time.time(), lease_s, limit, owner, self._prefix)
        found = []
        for i in range(0, len(rows), 5):
            delivery, task, stage, at, attempt = rows[i : i + 5]
            if task is None:  # fields gone (a reset under way): forget the id
                await client.zrem(self._key("due"), delivery)
                continue
            found.append(Due(int(delivery), task.decode(), stage.decode(), float(at), int(attempt)))
        return found[:limit]

    async def retry(self, due: Due, at: float) -> None:
        client = self._aclient()
        pipe = client.pipeline()
        pipe.hset(self._key("delivery:", str(due.id)), "attempt", due.attempt + 1)
        pipe.zadd(self._key("due"), {str(due.id): at})
        pipe.zrem(self._key("leases"), str(due.id))
        await pipe.execute()

    async def done(self, due: Due) -> None:
        client = self._aclient()
        pipe = client.pipeline()
        pipe.zrem(self._key("due"), str(due.id))
        pipe.zrem(self._key("leases"), str(due.id))
        pipe.delete(self._key("delivery:", str(due.id)))
        await pipe.execute()

    async def next_due(self) -> float | None:
        found = await self._run(self._next, [self._key("due"), self._key("leases")], time.time())
        return None if found is None else float(found)

    def release(self, owner: str) -> None:
        with contextlib.suppress(redis.RedisError):
            self._release(keys=[self._key("leases")], args=[owner, self._prefix])

    # shared values ------------------------------------------------------------------------------
    def get_value(self, name: str) -> bytes | None:
        """The value, read once per step of the event loop (the clock is read many times per request)."""
        cache = self._values
        if name in cache:
            return cache[name]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            found: bytes | None = self._sync.get(self._key("value:", name))
            return found
        # the values every request reads come in one MGET: one round trip for the step, not one each
        names = [name, *(n for n in _TOPICS if n != name and n not in cache)]
        values = self._sync.mget([self._key("value:", n) for n in names])
        if not cache:
            loop.call_soon(cache.clear)
        cache.update(zip(names, values, strict=True))
        value: bytes | None = values[0]
        return value

    def set_value(self, name: str, value: bytes) -> None:
        self._values.pop(name, None)
        self._tell_siblings()
        topic = _TOPICS.get(name)
        if topic is None:
            self._sync.set(self._key("value:", name), value)
            return
        pipe = self._sync.pipeline(transaction=True)
        pipe.set(self._key("value:", name), value)
        pipe.publish(self._channel, topic)
        pipe.execute()

    def set_value_once(self, name: str, value: bytes) -> bytes:
        self._values.pop(name, None)
        self._sync.set(self._key("value:", name), value, nx=True)
        held = self.get_value(name)
        return value if held is None else held

    # fault-rule counters -------------------------------------------------------------------------
    def count_call(self, name: str) -> tuple[int, int]:
        pipe = self._sync.pipeline(transaction=True)
        pipe.hincrby(self._key("counters"), name + "\x1fcalls", 1)
        pipe.hget(self._key("counters"), name + "\x1ffired")
        calls, fired = pipe.execute()
        return int(calls), int(fired or 0)

    def count_fire(self, name: str, times: int | None) -> bool:
        bound = "" if times is None else times
        return bool(self._fire(keys=[self._key("counters")], args=[name + "\x1ffired", bound]))

    def count_read(self, name: str) -> tuple[int, int]:
        calls, fired = self._sync.hmget(self._key("counters"), name + "\x1fcalls", name + "\x1ffired")
        return int(calls or 0), int(fired or 0)

    def count_forget(self, names: list[str] | None = None) -> None:
        if names is None:
            self._sync.delete(self._key("counters"))
        elif names:
            self._sync.hdel(self._key("counters"), *(n + f for n in names for f in ("\x1fcalls", "\x1ffired")))

    # notifications ------------------------------------------------------------------------------
    def publish(self, topic: str) -> None:
        self._sync.publish(self._channel, topic)

    async def watch(self, changed: Callable[[str], None]) -> None:
        """Subscribe to the channel ``notify`` on a connection of its own; subscribe again if it breaks.

        ``changed("watching")`` once the server has confirmed the subscription (news published
        from then on arrives), and again after every new subscription (news may have been missed).
        """
        while True:
            client: Any = aredis.Redis.from_url(self.url, socket_connect_timeout=3, socket_keepalive=True)
            pubsub: Any = client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        changed("watching")
                    elif message["type"] == "message":
                        data = message["data"]
                        changed(data.decode() if isinstance(data, bytes) else str(data))
            except (redis.RedisError, OSError):
                pass  # the poll goes on meanwhile
            finally:
                with contextlib.suppress(redis.RedisError, OSError, RuntimeError):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(_RESUBSCRIBE_S)

    # journals -----------------------------------------------------------------------------------
    def journal_add(self, journal: str, record: bytes, keep: int) -> None:
        pipe = self._sync.pipeline(transaction=True)  # with the tasks still held: one round trip
        self._queue_pending(pipe)
        pipe.xadd(self._key("journal:", journal), {"r": record}, maxlen=keep or None, approximate=False)
        pipe.incr(self._key("journal-added:", journal))
        pipe.execute()

    def journal_read(self, journal: str) -> list[bytes]:
        return [fields[b"r"] for _, fields in self._sync.xrange(self._key("journal:", journal))]

    def journal_dropped(self, journal: str) -> int:
        added = int(self._sync.get(self._key("journal-added:", journal)) or 0)
        return max(0, added - int(self._sync.xlen(self._key("journal:", journal))))

    def journal_clear(self, journal: str) -> None:
        self._sync.delete(self._key("journal:", journal), self._key("journal-added:", journal))

    # rate-limit windows -------------------------------------------------------------------------
    def admit(self, key: str, limit: int, window_s: float, now: float) -> float | None:
        member = f"{now!r}:{secrets.token_hex(6)}"
        wait = self._admit(keys=[self._key("window:", key)], args=[now, window_s, limit, member])
        return None if wait is None else float(wait)
