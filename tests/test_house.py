"""The kit as a user installs it: the built wheel in fresh virtual environments, beside other packages.

These tests build the wheel, make virtual environments without the system's site-packages and
install into them. The wheels come from the package index once: ``pip download`` keeps them in one
folder under the temporary directory (:data:`WHEELS`) that later runs install from without the index
(pip's own HTTP cache does not help here: the index's answers are not cacheable behind this proxy).
"""

from __future__ import annotations

import configparser
import fcntl
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import typing
import venv
import zipfile
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import contract
import mockserver

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "pytest-plugin.md"
WHEELS = Path(tempfile.gettempdir()) / "suno-mockkit-test-wheels"

# A venv of widely used packages, several of which bring a pytest plugin, an HTTP client or server,
# an ASGI stack or an `openapi` import name of their own: the kit has to install and work beside them.
POPULAR = (
    "requests",
    "numpy",
    "pandas",
    "pydantic",
    "fastapi",
    "flask",
    "django",
    "sqlalchemy",
    "boto3",
    "attrs",
    "rich",
    "click",
    "jinja2",
    "pyyaml",
    "aiohttp",
    "pytest-asyncio",
    "pytest-httpserver",
    "pytest-httpx",
    "openapi==2.0.0",
    "respx",
)


def build_wheel(out: Path, source: Path = ROOT) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run([*command, str(source)], check=True)
    (wheel,) = out.glob("suno_mockkit-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


# The venv's processes see none of this interpreter's PYTHON* settings (PYTHONPATH would put this
# checkout's packages ahead of the installed wheel).
CLEAN_ENV = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}


class Venv:
    """A fresh virtual environment (no system site-packages) that installs from the shared wheel folder."""

    def __init__(self, path: Path) -> None:
        venv.create(path, with_pip=True, system_site_packages=False, clear=True)
        self.path = path
        self.python = path / "bin" / "python"

    def pip(self, *args: str, check: bool) -> subprocess.CompletedProcess[str]:
        command = [str(self.python), "-m", "pip", *args, "-q", "--disable-pip-version-check"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=CLEAN_ENV, check=False)
        assert done.returncode == 0 or not check, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        return done

    def pip_install(self, *requirements: str) -> None:
        """Install from :data:`WHEELS` without the index; download what is missing there first."""
        WHEELS.mkdir(exist_ok=True)
        offline = ("install", "--no-compile", "--no-index", "--find-links", str(WHEELS), *requirements)
        with (WHEELS / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one download at a time, and no install from a half-written file
            if self.pip(*offline, check=False).returncode == 0:
                return
            self.pip("download", "--dest", str(WHEELS), "--find-links", str(WHEELS), *requirements, check=True)
            for copy in WHEELS.glob("suno_mockkit-*"):
                copy.unlink()  # the kit itself always comes from the wheel just built
            self.pip(*offline, check=True)

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args], capture_output=True, text=True, cwd=cwd, timeout=600, check=False, env=CLEAN_ENV
        )


def serve_once(env: Venv, provider: str) -> str:
    """Start ``suno-mock serve --port 0`` from the venv on loopback, create a task, read it back; the task id."""
    command = [str(env.path / "bin" / "suno-mock"), "serve", "--port", "0", "--provider", provider, "--token", "k1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLEAN_ENV)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"serving provider (\w+) at (http://127\.0\.0\.1:\d+)", line)
        assert match, f"suno-mock serve printed {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        script = (
            "import sys, httpx\n"
            "c = httpx.Client(base_url=sys.argv[1], headers={'Authorization': 'Bearer k1'}, timeout=30)\n"
            "assert c.get('/openapi.json').json()['openapi'].startswith('3.')\n"
            "body = {'customMode': False, 'instrumental': True, 'model': 'V5', 'prompt': 'x',"
            " 'callBackUrl': 'http://127.0.0.1:9/cb'}\n"
            "task = c.post('/api/v1/generate', json=body).json()['data']['taskId']\n"
            "record = c.get('/api/v1/generate/record-info', params={'taskId': task}).json()\n"
            "assert record['code'] == 200, record\n"
            "print(record['data']['taskId'])\n"
        )
        done = env.run("-c", script, match.group(2))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()
    finally:
        process.kill()
        process.communicate()  # waits, and closes the pipes


LOAD_EVERY_SPEC = """
import importlib.metadata, json, openapi
from mockserver.openapi import PROVIDERS, documents, load_spec
tops = {str(f).split('/')[0] for f in importlib.metadata.files('suno-mockkit') if '.dist-info' not in str(f)}
print(json.dumps({
    "paths": {p: len(load_spec(p)["paths"]) for p in PROVIDERS},
    "documents": str(documents()),
    "openapi": openapi.__file__,
    "openapi_loads": callable(getattr(openapi, "loads", None)),
    "tops": sorted(t for t in tops if not t.startswith('..')),
}))
"""


@pytest.mark.slow_install
def test_the_wheel_installs_and_serves_beside_pypi_openapi(wheel: Path, tmp_path: Path) -> None:
    """PyPI's ``openapi`` owns the ``openapi`` import name; the kit ships its documents inside ``mockserver``."""
    env = Venv(tmp_path / "venv")
    env.pip_install(str(wheel))
    env.pip_install("openapi==2.0.0")  # after the kit, as a user adds it later
    done = env.run("-c", LOAD_EVERY_SPEC, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert set(facts["paths"]) == {"kie", "sunoapi", "apibox", "apikley"}
    assert all(count > 0 for count in facts["paths"].values())
    site = str(tmp_path / "venv")
    assert facts["documents"].startswith(site) and facts["documents"].endswith("mockserver/_specs")
    assert facts["openapi"].startswith(site) and facts["openapi_loads"]  # PyPI's package, intact
    assert "openapi" not in facts["tops"]
    for provider in ("kie", "sunoapi"):
        assert re.fullmatch(r"[0-9a-f]{32}", serve_once(env, provider))


@pytest.mark.slow_install
def test_an_editable_install_reads_the_documents_from_the_checkout(tmp_path: Path) -> None:
    """Editable, the package is the checkout's, and so are the documents (``openapi/``, not a copy)."""
    env = Venv(tmp_path / "venv")
    env.pip_install("pyyaml", "hatchling", "editables")
    env.pip("install", "--no-deps", "--no-build-isolation", "-e", str(ROOT), check=True)
    script = "from mockserver.openapi import documents, load_spec; load_spec('kie'); print(documents())"
    done = env.run("-c", script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / "openapi")


@pytest.mark.slow_install
def test_the_wheel_installs_into_a_venv_of_popular_packages_and_the_plugin_examples_pass(
    wheel: Path, tmp_path: Path
) -> None:
    env = Venv(tmp_path / "venv")
    env.pip_install(*POPULAR)
    env.pip_install(f"{wheel}[contract]")
    assert re.fullmatch(r"[0-9a-f]{32}", serve_once(env, "kie"))
    check = env.run("-m", "pip", "check")
    assert check.returncode == 0, check.stdout
    # The plugin smoke test: every example of docs/pytest-plugin.md, run by the venv's pytest with
    # the plugin loaded from its entry point, beside the pytest plugins the popular packages bring.
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 6
    suite = tmp_path / "suite"
    suite.mkdir()
    for number, block in enumerate(blocks):
        (suite / f"test_doc_{number}.py").write_text(block, encoding="utf-8")
    expected = sum(len(re.findall(r"^(?:async )?def test_", block, re.MULTILINE)) for block in blocks)
    options = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function", "-q")
    done = env.run("-m", "pytest", *options, str(suite), cwd=suite)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(rf"^{expected} passed", done.stdout, re.MULTILINE), done.stdout[-2000:]


def test_the_contract_side_reads_the_documents_without_loading_the_mock() -> None:
    """``mockserver.openapi`` is shared; importing it (and the judging modules) loads no engine module."""
    script = (
        "import sys; import contract._rules, contract._checks, contract.strategies, contract._server; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mockserver'))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "['mockserver', 'mockserver._errors', 'mockserver.openapi']"


# what ships ------------------------------------------------------------------------------------
def tracked(*tops: str) -> set[str]:
    """The files git tracks under ``tops`` (folders or files of the checkout), as relative paths."""
    done = subprocess.run(["git", "ls-files", "--", *tops], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line for line in done.stdout.splitlines() if (ROOT / line).is_file()}


@pytest.mark.slow_install
def test_the_wheel_ships_both_packages_typed_with_the_documents_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"mockserver", "contract", "suno_mockkit-0.1.0.dist-info"}
    assert {"mockserver/py.typed", "contract/py.typed"} <= names
    documents = {path.name for path in (ROOT / "openapi").glob("*.yaml")}
    assert {name for name in names if name.startswith("mockserver/_specs/")} == {
        f"mockserver/_specs/{name}" for name in documents
    }
    assert {"common.yaml", "kie.yaml", "sunoapi.yaml", "apibox.yaml", "apikley.yaml"} <= documents
    assert {name for name in tracked("mockserver", "contract") if name.endswith(".py")} <= names
    # PEP 639: the licence text in the dist-info, named by the metadata with its SPDX expression
    assert "suno_mockkit-0.1.0.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read("suno_mockkit-0.1.0.dist-info/METADATA").decode()
    assert {"License-Expression: MIT", "License-File: LICENSE"} <= set(metadata.splitlines())


@pytest.mark.slow_install
def test_the_sdist_holds_what_the_tests_read_and_builds_the_same_wheel(wheel: Path, tmp_path: Path) -> None:
    script = "import sys; from hatchling.build import build_sdist; print(build_sdist(sys.argv[1]))"
    built = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    sdist = tmp_path / built.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        archive.extractall(tmp_path / "unpacked", filter="data")
    read_by_tests = tracked(
        "docs", "openapi", "tests", "bench", ".ci", "conftest.py", "faults.example.yaml", "README.md", "pyproject.toml"
    )
    assert "faults.example.yaml" in read_by_tests and "docs/pytest-plugin.md" in read_by_tests
    assert read_by_tests - members == set()
    assert {"pyproject.toml", "tox.ini", "CHANGELOG.md", "LICENSE", ".ci/lint", ".ci/run"} <= members
    (source,) = (tmp_path / "unpacked").iterdir()
    again = build_wheel(tmp_path / "again", source)
    assert set(zipfile.ZipFile(again).namelist()) == set(zipfile.ZipFile(wheel).namelist())


# the public namespace --------------------------------------------------------------------------
def isort_style(name: str) -> tuple[int, str]:
    """The order ruff keeps ``__all__`` in: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("package", [mockserver, contract], ids=lambda p: p.__name__)
def test_the_root_exports_exactly_its_sorted_public_names(package: ModuleType) -> None:
    assert package.__all__ == sorted(package.__all__, key=isort_style)
    for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(found.name)  # a submodule, once imported, must not add a public name
    for name in package.__all__:
        home = getattr(getattr(package, name), "__module__", "mockserver.")
        assert home.split(".")[0] in {"mockserver", "contract"} and "." in home, name
    public = {name for name, value in vars(package).items() if not name.startswith("_")}
    assert {name for name in public if not isinstance(vars(package)[name], ModuleType)} == set(package.__all__)
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = package.Nope


# The modules a user may import by name; everything else is implementation, named ``_name``, so that
# new operations never widen what users may import. ``openapi`` (the bundled documents) and
# ``strategies`` (hypothesis strategies, used as a module as ``hypothesis.strategies`` is) are public
# by design; the pytest plugin is named by its entry point; ``__main__`` serves ``python -m``.
PUBLIC_MODULES = {
    "mockserver": {"mockserver.openapi", "mockserver.__main__"},
    "contract": {"contract.strategies", "contract.pytest_plugin", "contract.__main__"},
}


@pytest.mark.parametrize("package", [mockserver, contract], ids=lambda p: p.__name__)
def test_every_implementation_module_is_private(package: ModuleType) -> None:
    public = {
        found.name
        for found in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")
        if not found.name.rsplit(".", 1)[1].startswith("_") or found.name.endswith(".__main__")
    }
    assert public == PUBLIC_MODULES[package.__name__]


def kit_classes(hint: object) -> set[type]:
    """The classes of the kit that a (resolved) type hint names, generics unwrapped."""
    found = {hint} if isinstance(hint, type) and hint.__module__.split(".")[0] in {"mockserver", "contract"} else set()
    for argument in typing.get_args(hint):
        found |= kit_classes(argument)
    return found


def test_every_type_a_public_callable_returns_is_exported() -> None:
    exported = [getattr(package, name) for package in (mockserver, contract) for name in package.__all__]
    namespace: dict[str, object] = {value.__name__: value for value in exported if hasattr(value, "__name__")}
    namespace["httpx"] = httpx
    missing: dict[str, set[str]] = {}
    for value in exported:
        members = [value] if inspect.isfunction(value) else []
        if inspect.isclass(value):
            for name, member in vars(value).items():
                if name.startswith("_") and name != "__enter__":
                    continue
                member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(member):
                    members.append(member)
        for function in members:
            returned = typing.get_type_hints(function, localns=namespace).get("return")
            for cls in kit_classes(returned):
                if cls not in exported:
                    missing.setdefault(f"{cls.__module__}.{cls.__qualname__}", set()).add(function.__qualname__)
    assert missing == {}


# one error tree --------------------------------------------------------------------------------
def kit_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in a module of ``mockserver`` or ``contract`` (private ones too)."""
    found: list[type[BaseException]] = []
    for package in (mockserver, contract):
        names = [package.__name__] + [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
        for name in names:
            module = importlib.import_module(name)
            found += [
                value
                for value in vars(module).values()
                if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name
            ]
    return found


def test_every_exception_the_kit_defines_sits_under_mock_error_and_in_the_drawn_tree() -> None:
    from mockserver import _errors as errors

    classes = kit_exceptions()
    assert len(classes) >= 15
    outside = {cls.__qualname__ for cls in classes if not issubclass(cls, errors.MockError)}
    # the one deliberate exception: a BaseException, so that a client's `except Exception` cannot swallow it
    assert outside == {"RequestBudgetExceeded"}
    assert not issubclass(contract.RequestBudgetExceeded, Exception)
    contract_side = [cls for cls in classes if cls.__module__.startswith("contract.") and cls.__name__ not in outside]
    assert contract_side and all(issubclass(cls, errors.ContractError) for cls in contract_side)
    drawing = errors.__doc__ or ""
    public = [cls for cls in classes if not cls.__name__.startswith("_")]
    assert [cls.__name__ for cls in public if not re.search(rf"\b{cls.__name__}\b", drawing)] == []
    # the drawing is right: each class is drawn under its base
    by_name = {cls.__name__: cls for cls in classes} | {"BaseException": BaseException}
    assert {name: by_name[name].__bases__[0].__name__ for name in drawn_parents(drawing)} == drawn_parents(drawing)
    assert all(issubclass(cls, ValueError) for cls in (mockserver.ConfigError, mockserver.UnknownProvider))


def drawn_parents(drawing: str) -> dict[str, str]:
    """Each class the module docstring's tree draws under another, and that other (by indentation)."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in drawing.splitlines():
        match = re.match(r"^( *)((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)\b", line)
        if not match or not line.startswith("    "):
            continue
        depth = len(match.group(1)) + len(match.group(2)) + (4 if "── " in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[match.group(3)] = stack[-1][1]
        stack.append((depth, match.group(3)))
    return parents


# the project's own files -------------------------------------------------------------------------
def test_tox_covers_every_python_from_requires_python_to_313() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    match = re.fullmatch(r">=3\.(\d+)", project["requires-python"])
    assert match, project["requires-python"]
    envlist = configparser.ConfigParser()
    envlist.read(ROOT / "tox.ini", encoding="utf-8")
    pythons = [env for env in re.split(r"[,\s]+", envlist["tox"]["envlist"]) if env.startswith("py")]
    assert pythons == [f"py3{minor}" for minor in range(int(match.group(1)), 14)]


def test_the_changelog_keeps_a_changelog_and_names_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert version in text and "Keep a Changelog" in text
    sections = set(re.findall(r"^### (\w+)", text, re.MULTILINE))
    assert sections and sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
