"""``python -m bench --peers``: the mock, the ceiling, granian, WireMock and Prism in the same wrk rounds.

Every server answers the same valid replace-section POST (the body of :func:`bench.served.valid_body`)
on 127.0.0.1, each in its own process, one at a time, in an order rotated by one each round. Rows:

- the mock (``suno-mock serve --virtual-clock --seed 1``) on uvicorn's fast stack (httptools,
  uvloop) and on h11/asyncio (``--http h11``), and on granian (``bench.granian_app:mock``);
- the ceiling (:mod:`bench.baseline`) on the same three;
- WireMock standalone (the jar inside the npm package ``wiremock``, run with ``java -jar``) as
  shipped (request journal on), with one stub that matches the operation's required fields;
- Prism (``@stoplight/prism-cli``) mocking the mock's own ``/openapi.json``, as shipped (request
  validation and its per-request log on; the log goes to ``/dev/null``).

WireMock and Prism are found in, or installed with npm into, :func:`peers_dir`; ``wrk`` is
installed with ``apt-get`` when missing. Ratio of A to B = the median over rounds of A's req/s over
B's in the same round.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from bench.loadgen import LoadResult, Request, run_load, wrk_available
from bench.processes import ROOT, Served, wait_until_answering
from bench.served import Round, load_round

__all__ = [
    "PEER_VERSIONS",
    "PeerRun",
    "Server",
    "ensure_peers",
    "ensure_wrk",
    "granian_command",
    "peers_dir",
    "prism_command",
    "required_fields",
    "run_peers",
    "wiremock_command",
    "wiremock_stub",
]

#: The npm packages and versions ``--peers`` installs when none is found.
PEER_VERSIONS = {"wiremock": "3.13.2", "@stoplight/prism-cli": "5.16.0"}
REPLACE = "/api/v1/generate/replace-section"
#: What WireMock's stub answers: the envelope the mock answers an accepted replace-section with.
STUB_ANSWER = {"code": 200, "msg": "success", "data": {"taskId": "0123456789abcdef0123456789abcdef"}}


def peers_dir() -> Path:
    """Where the peers are installed: ``$SUNO_BENCH_PEERS``, else ``~/.cache/suno-mockkit/peers``."""
    found = os.environ.get("SUNO_BENCH_PEERS")
    return Path(found) if found else Path.home() / ".cache" / "suno-mockkit" / "peers"


@dataclass(frozen=True)
class Peers:
    """Where the installed peers are."""

    wiremock_jar: Path
    prism: Path


def _find(root: Path) -> Peers | None:
    jars = sorted((root / "node_modules" / "wiremock" / "build").glob("wiremock-standalone-*.jar"))
    prism = root / "node_modules" / ".bin" / "prism"
    return Peers(jars[-1], prism) if jars and prism.exists() else None


def ensure_peers(root: Path | None = None) -> Peers:
    """The peers in ``root`` (default :func:`peers_dir`), installed with ``npm install`` first if missing."""
    root = root or peers_dir()
    found = _find(root)
    if found is None:
        root.mkdir(parents=True, exist_ok=True)
        packages = [f"{name}@{version}" for name, version in PEER_VERSIONS.items()]
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(root), *packages],
            check=True,
            capture_output=True,
            timeout=900,
        )
        found = _find(root)
    if found is None:
        raise RuntimeError(f"npm installed no wiremock jar or prism binary under {root}")
    return found


def ensure_wrk() -> bool:
    """``wrk`` on PATH, installed with ``apt-get install -y wrk`` when missing and possible; whether it is there."""
    if not wrk_available() and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, timeout=600, check=False)
    return wrk_available()


def required_fields(spec: dict[str, Any], path: str = REPLACE) -> list[str]:
    """The required properties of ``path``'s POST body in ``spec`` (following one ``$ref``)."""
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return list(schema.get("required", []))


def wiremock_stub(required: list[str], path: str = REPLACE) -> dict[str, Any]:
    """A WireMock mapping: POST ``path`` with a bearer key and a JSON body holding every ``required`` field."""
    return {
        "request": {
            "method": "POST",
            "urlPath": path,
            "headers": {"Authorization": {"matches": "Bearer .+"}},
            "bodyPatterns": [{"matchesJsonPath": f"$.{name}"} for name in required],
        },
        "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "jsonBody": STUB_ANSWER},
    }


def wiremock_command(jar: Path, port: int, root_dir: Path, java: str = "java") -> list[str]:
    """WireMock standalone on loopback, as shipped but for the banner (its request journal stays on)."""
    where = ["--bind-address", "127.0.0.1", "--port", str(port), "--root-dir", str(root_dir)]
    return [java, "-jar", str(jar), *where, "--disable-banner"]


def prism_command(prism: Path, spec: Path, port: int) -> list[str]:
    """Prism mocking ``spec`` on loopback, as shipped (static examples, request validation on)."""
    return [str(prism), "mock", "--host", "127.0.0.1", "--port", str(port), str(spec)]


def granian_command(target: str, port: int) -> list[str]:
    """granian serving the ASGI app ``target`` (``module:attr``) on loopback, one worker, uvloop, no access log."""
    where = ["--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    how = ["--workers", "1", "--loop", "uvloop", "--log-level", "warning", "--no-ws"]
    return [sys.executable, "-m", "granian", *where, *how, target]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A peer process on a known port (its output to ``/dev/null``: Prism logs every request)."""

    def __init__(self, argv: list[str], port: int, ready: str, timeout: float = 90.0) -> None:
        self.argv = argv
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, start_new_session=True
        )
        try:
            wait_until_answering(self.url + ready, timeout)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class PeerRun:
    """Every server's rounds at one connection count, and the ratios between them."""

    connections: int
    duration: float
    rounds: dict[str, list[Round]] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)

    def median(self, name: str) -> LoadResult:
        results = sorted((r.load for r in self.rounds[name]), key=lambda r: r.rps)
        return results[len(results) // 2]

    def cpu_us(self, name: str) -> float:
        """The server's median CPU time per request, microseconds."""
        return statistics.median(r.cpu_us for r in self.rounds[name])

    def ratio(self, a: str, b: str) -> float:
        """Median over rounds of ``a``'s req/s over ``b``'s in the same round."""
        pairs = zip(self.rounds[a], self.rounds[b], strict=True)
        return statistics.median(x.load.rps / y.load.rps for x, y in pairs)

    def cpu_ratio(self, a: str, b: str) -> float:
        """Median over rounds of ``b``'s CPU per request over ``a``'s: ``a``'s speed relative to ``b`` per core."""
        pairs = zip(self.rounds[a], self.rounds[b], strict=True)
        return statistics.median(y.cpu_us / x.cpu_us if x.cpu_us else float("nan") for x, y in pairs)


def _answers(request: Request, code: int | None) -> None:
    """Each server must accept the request (HTTP 200, and the envelope's ``code`` where it has one)."""
    headers = {"Authorization": f"Bearer {request.token}", "Content-Type": "application/json"}
    answer = httpx.request(request.method, request.url, content=request.body, headers=headers, trust_env=False)
    if answer.status_code != 200 or (code is not None and answer.json().get("code") != code):
        raise RuntimeError(f"{request.url} answered {answer.status_code} {answer.text[:300]}")


@dataclass
class _Contender:
    name: str
    request: Request
    argv: list[str]
    pid: int


def _contenders(stack: ExitStack, peers: Peers | None, workdir: Path) -> Iterator[_Contender]:
    from bench.served import mock_command, valid_body

    def mock(name: str, argv: list[str], url: str, pid: int) -> _Contender:
        return _Contender(name, Request("POST", url + REPLACE, json.dumps(valid_body(url)).encode()), argv, pid)

    served = stack.enter_context(Served(mock_command("--virtual-clock", "--seed", "1")))
    wait_until_answering(served.url + "/_mock/health")
    yield mock("mock (uvicorn, httptools, uvloop)", served.argv, served.url, served.process.pid)
    body = json.dumps(valid_body(served.url)).encode()  # the peers get the same bytes (their ids mean nothing)
    h11 = stack.enter_context(Served(mock_command("--virtual-clock", "--seed", "1", "--http", "h11")))
    wait_until_answering(h11.url + "/_mock/health")
    yield mock("mock (uvicorn, h11, asyncio)", h11.argv, h11.url, h11.process.pid)
    for label, http in (("httptools, uvloop", "httptools"), ("h11, asyncio", "h11")):
        ceiling = stack.enter_context(Served([sys.executable, "-m", "bench.baseline", http]))
        wait_until_answering(ceiling.url + "/_bench/ready")
        to_ceiling = Request("POST", ceiling.url + REPLACE, body)
        yield _Contender(f"ceiling (uvicorn, {label})", to_ceiling, ceiling.argv, ceiling.process.pid)
    if shutil.which("granian") or _module_installed("granian"):
        port = _free_port()
        argv = granian_command("bench.granian_app:mock", port)
        g = stack.enter_context(Server(argv, port, "/_mock/health"))
        yield mock("mock (granian)", argv, g.url, g.process.pid)
        port = _free_port()
        argv = granian_command("bench.granian_app:ceiling", port)
        g = stack.enter_context(Server(argv, port, "/_bench/ready"))
        yield _Contender("ceiling (granian)", Request("POST", g.url + REPLACE, body), argv, g.process.pid)
    if peers is not None:
        from mockserver.openapi import load_spec

        mappings = workdir / "wiremock" / "mappings"
        mappings.mkdir(parents=True, exist_ok=True)
        (mappings / "replace-section.json").write_text(json.dumps(wiremock_stub(required_fields(load_spec("kie")))))
        port = _free_port()
        argv = wiremock_command(peers.wiremock_jar, port, workdir / "wiremock")
        wm = stack.enter_context(Server(argv, port, "/__admin/health"))
        to_wiremock = Request("POST", wm.url + REPLACE, body)
        yield _Contender("WireMock (journal on, one stub)", to_wiremock, argv, wm.process.pid)
        spec = workdir / "openapi.json"
        spec.write_bytes(httpx.get(served.url + "/openapi.json", trust_env=False).content)
        port = _free_port()
        argv = prism_command(peers.prism, spec, port)
        pr = stack.enter_context(Server(argv, port, "/_prism_ready_probe"))
        to_prism = Request("POST", pr.url + REPLACE, body)
        yield _Contender("Prism (the mock's /openapi.json)", to_prism, argv, pr.process.pid)


def _module_installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def run_peers(
    connections: tuple[int, ...], duration: float, rounds: int, warmup: float, tool: str, with_peers: bool = True
) -> list[PeerRun]:
    """Start every server, warm each up, then ``rounds`` rounds per connection count, the order rotated each round."""
    peers = ensure_peers() if with_peers else None
    workdir = peers_dir() / "run"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    runs: list[PeerRun] = []
    with ExitStack() as stack:
        contenders: list[_Contender] = []
        for contender in _contenders(stack, peers, workdir):
            _answers(contender.request, 200 if contender.name.startswith("mock") else None)
            contenders.append(contender)
        for contender in contenders:  # the JVM and the JITs warm up here
            if warmup > 0:
                run_load(contender.request, 16, warmup, tool)
        for n in connections:
            run = PeerRun(n, duration, commands={c.name: " ".join(c.argv) for c in contenders})
            for name in (c.name for c in contenders):
                run.rounds[name] = []
            for r in range(rounds):
                order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
                for contender in order:
                    measured = load_round(contender.request, n, duration, tool, contender.pid)
                    run.rounds[contender.name].append(measured)
            runs.append(run)
    return runs


def render_peers(runs: list[PeerRun], tool: str, load: tuple[float, ...]) -> str:
    """The markdown section: each server's median round, then every ratio (row over column)."""
    lines = [
        "## Peers",
        "",
        f"The same valid replace-section POST to every server, {tool} `-t1`, "
        f"{len(next(iter(runs[0].rounds.values())))} round(s) of {runs[0].duration:g} s per server and connection "
        "count after a warm-up, each round in an order rotated by one; one server runs at a time. "
        "req/s and latencies are each server's median round (by req/s); ratio = the median over rounds of "
        f"row / column req/s in the same round. Load average at the start: {', '.join(f'{x:.1f}' for x in load)} "
        f"on {os.cpu_count()} CPUs, shared with other sessions: compare ratios, not absolute figures.",
        "",
    ]
    for run in runs:
        names = list(run.rounds)
        lines += [
            f"### {run.connections} connections",
            "",
            "| server | req/s | p50 ms | p99 ms | errors | CPU us/request |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name in names:
            m = run.median(name)
            lines.append(
                f"| {name} | {m.rps:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} | {m.errors} | {run.cpu_us(name):,.0f} |"
            )
        for title, ratio in (
            ("req/s ratios (row / column, same round)", run.ratio),
            ("CPU ratios (column's CPU per request / row's, same round: row's speed per core)", run.cpu_ratio),
        ):
            lines += ["", f"{title}:", "", "| | " + " | ".join(names) + " |"]
            lines.append("|---|" + "---:|" * len(names))
            for a in names:
                cells = ("1" if a == b else f"{ratio(a, b):.2f}" for b in names)
                lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Command lines:", ""]
    lines += [f"- {name}: `{command}`" for name, command in runs[0].commands.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--no-peers", action="store_true", help="only the mock, the ceiling and granian")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "peers.md")
    args = parser.parse_args(argv)
    tool = "wrk" if ensure_wrk() else "python"
    load = os.getloadavg()
    began = time.perf_counter()
    runs = run_peers(tuple(args.connections), args.duration, args.rounds, args.warmup, tool, not args.no_peers)
    text = render_peers(runs, tool, load) + f"\n(run took {time.perf_counter() - began:.0f} s)\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
