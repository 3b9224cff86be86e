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

This module holds the hooks and the fixtures; the rest lives beside it:

- ``contract/_setup.py``: :class:`Setup`, the markers merged over the options and ini keys;
- ``contract/_pool.py``: the session's served mocks (one per configuration) and the live proxy;
- ``contract/_loop_host.py``: :class:`LoopHost`, the event loop on a private thread that hosts every mock;
- ``contract/_handles.py``: :class:`SunoMock` and :class:`SunoServer`, what ``suno_mock``/``suno_server`` hand out;
- ``contract/_live.py``: the live mode, :class:`SunoLive` and the spend-guarded proxy.

For type hints, import ``SunoMock``, ``SunoServer`` and ``SunoLive`` from :mod:`contract`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from contract._pool import ServerPool, new_app
from contract._setup import DOCS, Setup, fail, parse_poll_step, parse_seed, parse_time_scale, setup_of

if TYPE_CHECKING:
    from contract._client import SunoRouter
    from contract._handles import SunoMock, SunoServer
    from contract._live import SunoLive
    from contract._loop_host import LoopHost
    from mockserver._serving import CallbackReceiver

__all__: list[str] = []  # pytest finds the hooks and fixtures by name; nothing here is for import


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
    group.addoption(
        "--suno-poll-step",
        default=None,
        help="mock seconds each details read through suno_respx moves the virtual clock on (default 5; 0: never)",
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
    parser.addini(
        "suno_poll_step",
        "mock seconds each details read through suno_respx moves the virtual clock on (0: never)",
        default="5",
    )
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
        "suno(provider=..., time_scale=..., poll_step=..., faults=[...], seed=..., expect_rejections=False, "
        "**settings): "
        f"configure the suno-mockkit fixtures for this test, class or module; see {DOCS}",
    )
    config.addinivalue_line(
        "markers",
        "suno_live: with --suno-base-url, suno_server is a guarded proxy to that real endpoint; see " + DOCS,
    )
    budget = config.getoption("--suno-spend-budget")
    if budget is not None and budget < 0:
        raise pytest.UsageError(f"--suno-spend-budget={budget} is not allowed; use a number of calls >= 0")
    parsers: dict[str, Callable[[str], object]] = {
        "time_scale": parse_time_scale,
        "seed": parse_seed,
        "poll_step": parse_poll_step,
    }
    for key, parse in parsers.items():
        option = f"--suno-{key.replace('_', '-')}"
        value = config.getoption(option)
        name = option
        if value is None and key == "poll_step":
            value, name = str(config.getini("suno_poll_step")), "suno_poll_step"  # the ini key
        if value is not None:
            try:
                parse(value)
            except ValueError as exc:
                raise pytest.UsageError(f"{name}={value}: {exc}") from None


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
        fail("\n".join(problems) + f"\n(see {DOCS})")


@pytest.fixture(scope="session")
def _suno_host() -> Iterator[LoopHost]:
    """The event loop every mock of this pytest process runs on."""
    from contract._loop_host import LoopHost

    host = LoopHost()
    yield host
    host.close()


def _apply_faults(mock: SunoMock, setup: Setup) -> None:
    __tracebackhide__ = True
    for rule in setup.faults:
        try:
            mock.add_fault(rule)
        except (ValueError, TypeError) as exc:
            fail(f"@pytest.mark.suno(faults=[{rule!r}]): {exc}")


@pytest.fixture
def suno_mock(request: pytest.FixtureRequest, _suno_host: LoopHost) -> Iterator[SunoMock]:
    """A fresh in-process mock for this test: ``client``, ``async_client``, ``base_url`` and controls.

    Configured by ``@pytest.mark.suno(...)``; fails the test at teardown on unexpected 422 rejections
    and on crashes inside the mock. See docs/pytest-plugin.md.
    """
    if _live(request):
        fail(
            "suno_mock is always the in-process mock; a test marked suno_live runs against --suno-base-url "
            "through suno_server only"
        )
    setup = setup_of(request)
    app = _suno_host.run(new_app(setup))
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


@pytest.fixture(scope="session")
def _suno_servers(_suno_host: LoopHost) -> Iterator[ServerPool]:
    pool = ServerPool(_suno_host)
    yield pool
    pool.close()


@pytest.fixture
def suno_server(request: pytest.FixtureRequest, _suno_servers: ServerPool) -> Iterator[SunoServer | SunoLive]:
    """The mock served on ``url`` (127.0.0.1, a free port), shared by the session and reset before this test.

    For clients that do not use httpx, subprocesses and callback flows. In a test marked ``suno_live``
    under ``--suno-base-url`` it is a :class:`SunoLive` proxy to that endpoint instead. See docs/pytest-plugin.md.
    """
    from contract._handles import SunoServer
    from contract._live import SunoLive

    setup = setup_of(request)
    if _live(request):
        server, guard = _suno_servers.proxy(request.config, setup.provider)
        live = SunoLive(server.url, _upstream(request.config), request.config.getoption("--suno-token") or "", guard)
        yield live
        _teardown(live, "suno_server")
        return
    served = _suno_servers.get(setup)
    host = _suno_servers.host

    async def reset() -> None:
        served.app.reset()  # tasks, callbacks, background errors
        served.app.faults.clear()  # the previous test's fault rules

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
    through. On the virtual clock each details read moves mock time on by ``poll_step`` (default 5 mock
    seconds, after the answer), so a polling client finishes without moving the clock itself. Use
    ``suno_mock`` in the same test for the controls. See docs/pytest-plugin.md.
    """
    import httpx

    from contract._client import BASE_URLS, SunoRouter
    from contract._violations import ContractViolation

    router = SunoRouter(
        suno_mock.provider,
        suno_mock._routed(),
        strict=not suno_mock._expect_rejections,
        poll_step=suno_mock._poll_step,
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
        fail(f"suno_respx: {failed}")


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
