"""The inspector page in a real headless Chromium (Debian's ``chromium``, driven by Playwright for Python).

Every wait is on DOM state (Playwright's ``expect``), never a sleep; the mock runs on the virtual
clock, which the page itself advances. With ``SUNO_MOCK_SCREENSHOTS=docs`` the screenshots the
README shows are written to ``docs/inspector-*.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import playwright.sync_api as playwright  # the test extra
import pytest
from playwright.sync_api import Browser, Page, expect

from mockserver._app import MockApp, create_app
from mockserver._serving import CallbackReceiver, ThreadedServer
from tests.support import GENERATE_BODY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.timeout(240)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = "sk-browser-0123456789abcdef0123456"
ADMIN = "inspector-admin-7"
ROOT = Path(__file__).resolve().parent.parent
expect.set_options(timeout=30_000)  # a loaded CI machine; the waits end as soon as the DOM is there


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # a real part: missing, the tests fail (never skip); .ci/run installs it
    assert Path(CHROMIUM).exists(), "the browser tests drive Debian's chromium: apt-get install -y chromium"
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Served:
    def __init__(self, app: MockApp, server: ThreadedServer) -> None:
        self.app, self.server, self.url = app, server, server.url
        self.client = httpx.Client(base_url=server.url, timeout=30)

    def create(self, callback_url: str) -> dict[str, Any]:
        body = {**GENERATE_BODY, "callBackUrl": callback_url}
        answer: dict[str, Any] = self.client.post(
            "/api/v1/generate", json=body, headers={"Authorization": f"Bearer {KEY}"}
        ).json()
        return answer


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    options = getattr(request, "param", {})
    app = create_app("kie", virtual_clock=True, seed=18, **options)
    server = ThreadedServer(app).start()
    handle = Served(app, server)
    yield handle
    handle.client.close()
    app.inspector.feed.close()  # pages still open hold event streams
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str, tmp_path: Path) -> None:
    """A screenshot into the test's folder, and into docs/ when SUNO_MOCK_SCREENSHOTS=docs."""
    path = tmp_path / f"inspector-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 0
    if os.environ.get("SUNO_MOCK_SCREENSHOTS") == "docs":
        shutil.copyfile(path, ROOT / "docs" / path.name)


def _tab(page: Page, name: str) -> None:
    page.click(f'nav button[data-tab="{name}"]')
    expect(page.locator(f"#tab-{name}")).to_be_visible()


def test_a_task_appears_moves_to_success_with_its_callbacks_and_a_rule_from_the_page_fails_the_next_call(
    served: Served, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{served.url}/_mock/ui")
    expect(page.locator("#live")).to_have_text("live")
    with CallbackReceiver() as receiver:
        task_id = served.create(f"{receiver.url}/cb")["data"]["taskId"]
        row = page.locator(f'#tasks tr[data-task-id="{task_id}"]')
        expect(row).to_be_visible()  # no reload: the live feed told the page
        expect(row.locator("[data-status]")).to_have_text("PENDING")
        row.click()
        expect(page.locator("#task-status")).to_have_text("PENDING")
        expect(page.locator("#curl")).to_contain_text("/api/v1/generate")

        _tab(page, "controls")
        page.fill("#advance input[name=seconds]", "150")
        page.click("#advance button[type=submit]")
        expect(page.locator("#advance output")).to_have_text("mock time is now 2026-01-01 00:02:30")
        assert len(receiver.received) == 3, "the clock moved from the page: every stage's callback was delivered"

    _tab(page, "tasks")
    expect(row.locator("[data-status]")).to_have_text("SUCCESS")
    expect(page.locator("#task-status")).to_have_text("SUCCESS")
    attempts = page.locator('#attempts tbody tr[data-delivered="true"]')
    expect(attempts).to_have_count(3)
    for stage in ("text", "first", "complete"):
        expect(page.locator(f'#attempts tr[data-stage="{stage}"]')).to_contain_text("HTTP 200 delivered")
    expect(page.locator(".stages li.reached")).to_have_count(4)
    expect(page.locator(".track audio[controls]")).to_have_count(2)
    source = page.locator(".track audio").first.get_attribute("src")
    assert source and served.client.get(source).status_code == 200, "the player's source is served"
    _shot(page, "tasks", tmp_path)

    _tab(page, "controls")
    page.fill("#fault textarea", "name: broke\nwhen: {operation: generate-music}\ncode: 999\n")
    page.click("#fault button[type=submit]")
    expect(page.locator("#fault output.error")).to_contain_text("code: 999 is not documented for generate-music")
    page.fill("#fault textarea", "name: broke\nwhen: {operation: generate-music}\ncode: 402\ntimes: 1\n")
    page.click("#fault button[type=submit]")
    expect(page.locator("#fault output")).to_have_text("rule added")
    expect(page.locator('#rules tr[data-rule="broke"]')).to_be_visible()
    _shot(page, "controls", tmp_path)
    answer = served.create("http://127.0.0.1:9/cb")
    assert answer["code"] == 402, answer
    expect(page.locator('#rules tr[data-rule="broke"] td').nth(4)).to_have_text("1")  # fired once, shown live

    page.locator('#rules tr[data-rule="broke"] button').click()
    expect(page.locator('#rules tr[data-rule="broke"]')).to_have_count(0)
    assert served.create("http://127.0.0.1:9/cb")["code"] == 200

    served.client.post("/api/v1/generate", json={"customMode": "yes"}, headers={"Authorization": f"Bearer {KEY}"})
    _tab(page, "requests")
    expect(page.locator("#requests ul.problems li").first).to_be_visible()
    expect(page.locator("#requests tbody tr").first).to_contain_text("422")
    _shot(page, "requests", tmp_path)


def test_ten_thousand_tasks_come_in_pages(served: Served, page: Page) -> None:
    for _ in range(10_000):
        served.app.seed_task([30.0])
    page.goto(f"{served.url}/_mock/ui")
    expect(page.locator("#task-pager .range")).to_have_text("1–50 of 10,000")
    expect(page.locator("#tasks tbody tr")).to_have_count(50)
    page.click('#task-pager button[data-step="1"]')
    expect(page.locator("#task-pager .range")).to_have_text("51–100 of 10,000")
    page.select_option("#task-filters select[name=status]", "PENDING")
    expect(page.locator("#task-pager .range")).to_have_text("0–0 of 0")


@pytest.mark.parametrize("served", [{"admin_token": ADMIN}], indirect=True)
def test_with_an_admin_token_the_page_asks_for_it_and_keeps_it_for_the_session(served: Served, page: Page) -> None:
    page.goto(f"{served.url}/_mock/ui")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-message")).to_contain_text("no admin token was sent")
    page.fill("#login-token", "wrong")
    page.click("#login button")
    expect(page.locator("#login-message")).to_contain_text("a wrong admin token was sent")
    page.fill("#login-token", ADMIN)
    page.click("#login button")
    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator("#main")).to_be_visible()
    task_id = served.create("http://127.0.0.1:9/cb")["data"]["taskId"]
    expect(page.locator(f'#tasks tr[data-task-id="{task_id}"]')).to_be_visible()
    page.reload()  # sessionStorage keeps the token
    expect(page.locator(f'#tasks tr[data-task-id="{task_id}"]')).to_be_visible()

    other = page.context.new_page()  # a new tab starts a new session: ?token= logs it in, then leaves the URL
    other.goto(f"{served.url}/_mock/ui?token={ADMIN}")
    expect(other.locator(f'#tasks tr[data-task-id="{task_id}"]')).to_be_visible()
    assert "token" not in other.url
