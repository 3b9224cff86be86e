"""suno-mockkit's pytest plugin: the mock, a live server, respx routing and a callback receiver as fixtures.

Registered through the ``pytest11`` entry point ``suno_mockkit``; ``-p no:suno_mockkit`` turns it off.
The user documentation, with an example per fixture, is ``docs/pytest-plugin.md``.

Fixtures:

- ``suno_mock``: a fresh in-process mock per test (:class:`SunoMock`) with sync and async httpx clients;
- ``suno_server``: the mock on a real loopback port, one server per configuration per session, its state
  reset before each test (:class:`SunoServer`); with ``--suno-base-url`` and ``@pytest.mark.suno_live``,
  a guarded proxy to a real endpoint instead (:class:`SunoLive`);
- ``suno_respx``: a :class:`contract.SunoRouter` routing the provider's real base URL into ``suno_mock``;
- ``callback_receiver``: a :class:`mockserver._serving.CallbackReceiver`, emptied before each test.

Configuration, closest wins: ``@pytest.mark.suno(...)`` on the test, its class or module (``pytestmark``),
then the ``--suno-*`` options, then the ``suno_*`` ini keys.

Every mock lives on one event loop on a private thread per pytest process, whatever loop or thread the
test and its clients run in; that keeps one scheduler per mock under pytest-asyncio, sync clients and
uvicorn alike. Importing this module imports nothing beyond pytest and the standard library: the mock,
httpx and respx are imported when a fixture is first used.

This module holds the hooks, the configuration and the fixtures; the rest lives beside it:

- ``contract/_loop_host.py``: :class:`LoopHost`, the event loop on a private thread that hosts every mock;
- ``contract/_handles.py``: :class:`SunoMock` and :class:`SunoServer`, what ``suno_mock``/``suno_server`` hand out;
- ``contract/_live.py``: the live mode, :class:`SunoLive` and the spend-guarded proxy.

``SunoMock``, ``SunoServer`` and ``SunoLive`` can still be imported from here (for type hints); they are
loaded on first access.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from contract._client import SunoRouter
    from contract._handles import SunoMock, SunoServer
    from contract._live import SpendGuard, SunoLive
    from contract._loop_host import LoopHost
    from mockserver import MockApp
    from mockserver._serving import CallbackReceiver, ThreadedServer

__all__ = ["SunoLive", "SunoMock", "SunoServer"]

DOCS = "docs/pytest-plugin.md"
#: The API key the fixtures' clients send unless the marker sets ``tokens=[...]``.
DEFAULT_TOKEN = "suno-test-key"
#: Keys of ``@pytest.mark.suno`` besides the :class:`mockserver.Settings` fields.
_MARKER_KEYS = ("provider", "time_scale", "faults", "seed", "expect_rejections")
#: Settings fields the marker may not set (the plugin derives them).
_DERIVED = ("virtual_clock",)


def __getattr__(name: str) -> Any:
    """``SunoMock``, ``SunoServer`` and ``SunoLive``, imported on first access (keeps this module light)."""
    if name in ("SunoMock", "SunoServer"):
        from contract import _handles as handles

        return getattr(handles, name)
    if name == "SunoLive":
        from contract import _live as live

        return live.SunoLive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------
# configuration: options, ini keys, markers
# --------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("suno-mockkit", "suno-mockkit: the Suno API mock (docs/pytest-plugin.md)")
    group.addoption("--suno-provider", default=None, help="provider profile of the mock (default: kie)")
    group.addoption(
        "--suno-time-scale",
        default=None,
        help="'virtual' (default: time moves on advance()) or mock seconds per real second, e.g. 1000",
    )
    group.addoption("--suno-seed", default=None, help="seed of ids, durations and audio; 'none' for random")
    group.addoption(
        "--suno-base-url",
        default=None,
        help="run tests marked suno_live against this real endpoint (through a guarded loopback proxy)",
    )
    group.addoption("--suno-token", default=None, help="API key for --suno-base-url")
    group.addoption(
        "--suno-spend-budget",
        type=int,
        default=0,
        help="creating calls (generate, extend, replace-section) allowed against --suno-base-url (default 0)",
    )
    parser.addini("suno_provider", "provider profile of the mock (kie, sunoapi, apibox, apikley)", default="kie")
    parser.addini("suno_time_scale", "'virtual' or mock seconds per real second", default="virtual")
    parser.addini("suno_seed", "seed of the mock's ids, durations and audio; 'none' for random", default="0")
    parser.addini(
        "suno_mock_store",
        "store of the mocks: memory, sqlite:PATH or redis://HOST:PORT/DB ({worker}: the xdist worker's name; "
        "default: $SUNO_MOCK_STORE, else memory)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "suno(provider=..., time_scale=..., faults=[...], seed=..., expect_rejections=False, **settings): "
        f"configure the suno-mockkit fixtures for this test, class or module; see {DOCS}",
    )
    config.addinivalue_line(
        "markers",
        "suno_live: with --suno-base-url, suno_server is a guarded proxy to that real endpoint; see " + DOCS,
    )
    budget = config.getoption("--suno-spend-budget")
    if budget is not None and budget < 0:
        raise pytest.UsageError(f"--suno-spend-budget={budget} is not allowed; use a number of calls >= 0")
    for name in ("--suno-time-scale", "--suno-seed"):
        value = config.getoption(name)
        if value is not None:
            try:
                (_time_scale if name == "--suno-time-scale" else _seed)(value)
            except ValueError as exc:
                raise pytest.UsageError(f"{name}={value}: {exc}") from None


def _time_scale(text: str) -> float | None:
    if text.strip().lower() == "virtual":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError("use 'virtual' or a number of mock seconds per real second > 0")
    return value


def _seed(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError("use an integer, or 'none' for random ids") from None


def _default(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"--suno-{name.replace('_', '-')}")
    return str(value) if value is not None else str(config.getini(f"suno_{name}"))


@dataclass(frozen=True)
class Setup:
    """What the markers and options ask of one test's mock."""

    provider: str
    settings: Mapping[str, Any]
    faults: tuple[Mapping[str, Any], ...] = ()
    expect_rejections: bool = False

    @property
    def key(self) -> str:
        """Tests with equal keys can share a served mock."""
        return repr((self.provider, sorted((k, repr(v)) for k, v in self.settings.items())))

    @property
    def token(self) -> str:
        tokens = self.settings.get("tokens") or ()
        return sorted(tokens)[0] if tokens else DEFAULT_TOKEN


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def _setup(request: pytest.FixtureRequest) -> Setup:
    """Merge the ``suno`` markers (closest wins) over the options and ini keys."""
    __tracebackhide__ = True
    import dataclasses

    from mockserver import Settings, openapi

    node = request.node
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("suno"))):
        if mark.args:
            _fail(f"@pytest.mark.suno takes keywords only, got {mark.args!r}; e.g. @pytest.mark.suno(provider='kie')")
        options.update(mark.kwargs)
    fields = {f.name for f in dataclasses.fields(Settings)} - set(_DERIVED) - {"time_scale", "seed"}
    unknown = sorted(set(options) - set(_MARKER_KEYS) - fields)
    if unknown:
        allowed = ", ".join(sorted({*_MARKER_KEYS, *fields}))
        _fail(f"@pytest.mark.suno got unknown keyword(s) {', '.join(unknown)}; allowed: {allowed} (see {DOCS})")
    config = request.config
    provider = options.pop("provider", None) or _default(config, "provider")
    if provider not in openapi.PROVIDERS:
        _fail(f"suno provider {provider!r} is unknown; use one of {', '.join(openapi.PROVIDERS)}")
    scale = options.pop("time_scale") if "time_scale" in options else _time_scale(_default(config, "time_scale"))
    seed = options.pop("seed") if "seed" in options else _seed(_default(config, "seed"))
    faults = options.pop("faults", None) or ()
    if isinstance(faults, Mapping) or not all(isinstance(rule, Mapping) for rule in faults):
        _fail(f"@pytest.mark.suno(faults=...) must be a list of rule dicts, got {faults!r}")
    expect = bool(options.pop("expect_rejections", False))
    settings: dict[str, Any] = {**options, "seed": seed}
    if "store" not in settings and (store := str(config.getini("suno_mock_store")).strip()):
        # each pytest-xdist worker resets its mocks between tests: give each one its own file or database
        settings["store"] = store.replace("{worker}", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    if scale is None:
        settings["virtual_clock"] = True
    else:
        settings["time_scale"] = scale
    try:
        Settings(**settings)
    except (TypeError, ValueError) as exc:
        _fail(f"@pytest.mark.suno: {exc}")
    return Setup(provider, settings, tuple(faults), expect)


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
def _live(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--suno-base-url")) and request.node.get_closest_marker("suno_live") is not None
    )


def _teardown(mock: SunoMock | SunoLive, name: str) -> None:
    __tracebackhide__ = True
    problems = mock._problems(name)
    mock._close_clients()
    if problems:
        _fail("\n".join(problems) + f"\n(see {DOCS})")


@pytest.fixture(scope="session")
def _suno_host() -> Iterator[LoopHost]:
    """The event loop every mock of this pytest process runs on."""
    from contract._loop_host import LoopHost

    host = LoopHost()
    yield host
    host.close()


async def _new_app(setup: Setup) -> MockApp:
    from mockserver import create_app

    return create_app(setup.provider, **setup.settings)


def _apply_faults(mock: SunoMock, setup: Setup) -> None:
    __tracebackhide__ = True
    for rule in setup.faults:
        try:
            mock.add_fault(rule)
        except (NotImplementedError, ValueError, TypeError) as exc:
            _fail(f"@pytest.mark.suno(faults=[{rule!r}]): {exc}")


@pytest.fixture
def suno_mock(request: pytest.FixtureRequest, _suno_host: LoopHost) -> Iterator[SunoMock]:
    """A fresh in-process mock for this test: ``client``, ``async_client``, ``base_url`` and controls.

    Configured by ``@pytest.mark.suno(...)``; fails the test at teardown on unexpected 422 rejections
    and on crashes inside the mock. See docs/pytest-plugin.md.
    """
    if _live(request):
        _fail(
            "suno_mock is always the in-process mock; a test marked suno_live runs against --suno-base-url "
            "through suno_server only"
        )
    setup = _setup(request)
    app = _suno_host.run(_new_app(setup))
    from contract._handles import SunoMock
    from contract._hostguard import real_hosts_blocked

    mock = SunoMock(app, _suno_host, setup)
    try:
        _apply_faults(mock, setup)
        with real_hosts_blocked():
            yield mock
        _teardown(mock, "suno_mock")
    finally:
        _suno_host.run(app.aclose())


@dataclass
class _Served:
    app: MockApp
    server: ThreadedServer


class _ServerPool:
    """Session-wide: one served mock per configuration, and the live proxy."""

    def __init__(self, host: LoopHost) -> None:
        self.host = host
        self.served: dict[str, _Served] = {}
        self.proxies: dict[str, tuple[ThreadedServer, SpendGuard]] = {}

    def get(self, setup: Setup) -> _Served:
        found = self.served.get(setup.key)
        if found is None:
            from mockserver._serving import ThreadedServer

            app = self.host.run(_new_app(setup))
            server = ThreadedServer(self.host.hosted(app)).start()
            found = self.served[setup.key] = _Served(app, server)
        return found

    def proxy(self, config: pytest.Config, provider: str) -> tuple[ThreadedServer, SpendGuard]:
        if provider not in self.proxies:
            from contract._live import SpendGuard, spend_proxy, worker_share
            from mockserver._serving import ThreadedServer

            guard = SpendGuard(worker_share(config, int(config.getoption("--suno-spend-budget") or 0)))
            upstream = str(config.getoption("--suno-base-url")).rstrip("/")
            self.proxies[provider] = (ThreadedServer(spend_proxy(upstream, provider, guard)).start(), guard)
        return self.proxies[provider]

    def close(self) -> None:
        for served in self.served.values():
            served.server.stop()
            self.host.run(served.app.aclose())
        for server, _ in self.proxies.values():
            server.stop()


@pytest.fixture(scope="session")
def _suno_servers(_suno_host: LoopHost) -> Iterator[_ServerPool]:
    pool = _ServerPool(_suno_host)
    yield pool
    pool.close()


@pytest.fixture
def suno_server(request: pytest.FixtureRequest, _suno_servers: _ServerPool) -> Iterator[SunoServer | SunoLive]:
    """The mock served on ``url`` (127.0.0.1, a free port), shared by the session and reset before this test.

    For clients that do not use httpx, subprocesses and callback flows. In a test marked ``suno_live``
    under ``--suno-base-url`` it is a :class:`SunoLive` proxy to that endpoint instead. See docs/pytest-plugin.md.
    """
    from contract._handles import SunoServer
    from contract._live import SunoLive

    setup = _setup(request)
    if _live(request):
        server, guard = _suno_servers.proxy(request.config, setup.provider)
        live = SunoLive(server.url, _upstream(request.config), request.config.getoption("--suno-token") or "", guard)
        yield live
        _teardown(live, "suno_server")
        return
    served = _suno_servers.get(setup)
    host = _suno_servers.host

    async def reset() -> None:
        served.app.reset()
        served.app.state.scheduler.errors.clear()
        clear = getattr(served.app, "clear_faults", None) or getattr(getattr(served.app, "faults", None), "clear", None)
        if clear is not None:
            clear()  # the previous test's fault rules

    host.run(reset())
    from contract._hostguard import real_hosts_blocked

    mock = SunoServer(served.app, host, setup, url=served.server.url)
    _apply_faults(mock, setup)
    with real_hosts_blocked():
        yield mock
    _teardown(mock, "suno_server")


def _upstream(config: pytest.Config) -> str:
    return str(config.getoption("--suno-base-url")).rstrip("/")


@pytest.fixture
def suno_respx(suno_mock: SunoMock) -> Iterator[SunoRouter]:
    """Route httpx calls to the provider's real base URL (e.g. https://api.kie.ai) into ``suno_mock``.

    A :class:`contract.SunoRouter`: requests are checked against the documented rules (a broken
    rule raises ``ContractViolation`` at the call), other providers' hosts are refused, loopback passes
    through. Use ``suno_mock`` in the same test for the controls. See docs/pytest-plugin.md.
    """
    import httpx

    from contract._client import BASE_URLS, SunoRouter
    from contract._violations import ContractViolation

    router = SunoRouter(
        suno_mock.provider,
        suno_mock._host.hosted(suno_mock.app),
        strict=not suno_mock._expect_rejections,
    )
    for host in ("127.0.0.1", "localhost", "::1"):
        router.route(host=host).pass_through()
    for provider, url in BASE_URLS.items():
        if provider != suno_mock.provider:
            wrong = _wrong_provider(provider, suno_mock.provider)
            router.route(host=httpx.URL(url).host).mock(side_effect=wrong)
    suno_mock.base_url = router.base_url
    suno_mock._router = router
    failed: ContractViolation | None = None
    router.__enter__()
    try:
        yield router
    finally:
        if suno_mock._expect_rejections:
            router.violations.clear()
        try:
            router.__exit__(None, None, None)
        except ContractViolation as exc:
            failed = exc
    if failed is not None:
        _fail(f"suno_respx: {failed}")


def _wrong_provider(provider: str, mocked: str) -> Callable[[Any], NoReturn]:
    def refuse(request: Any) -> NoReturn:
        raise AssertionError(
            f"suno_respx: {request.method} {request.url} goes to {provider}, but this test mocks {mocked}; "
            f"mark it @pytest.mark.suno(provider={provider!r})"
        )

    return refuse


@pytest.fixture(scope="session")
def _suno_receiver() -> Iterator[CallbackReceiver]:
    from mockserver._serving import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture
def callback_receiver(_suno_receiver: CallbackReceiver) -> CallbackReceiver:
    """A real HTTP receiver on 127.0.0.1 that records callbacks: ``url``, ``received``, ``wait_for(...)``.

    Shared by the session, emptied and answering 200 at once before each test. See docs/pytest-plugin.md.
    """
    _suno_receiver.clear()
    _suno_receiver.status, _suno_receiver.delay_s = 200, 0.0
    return _suno_receiver
