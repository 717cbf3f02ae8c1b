"""The admin page at /admin/ in a real headless Chromium (Debian's chromium, driven by
Playwright), against the real gateway process and local fake upstreams: everything it shows
comes from the management API, and every action goes through it.

Screenshots of the main states are written to tests/.screenshots/ (ignored by git)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from playwright import sync_api as playwright_sync

from tests.e2e.conftest import CLIENT_KEY, RunningGateway
from tests.e2e.mock_upstream import MockUpstream, ServerThread, _send_json, request_body, status
from tests.e2e.test_managed_providers import ADMIN, UPSTREAM_KEY, config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / ".screenshots"
# Chromium in a closed network: no background connections, no sandbox as root.
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is required by the admin page tests: apt-get install chromium (.ci/run does).")
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def env() -> dict[str, str]:
    from tests.e2e.test_managed_providers import KEY_A

    return {"ENCRYPTION_KEY": KEY_A}


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, gateway: RunningGateway, secret: str = ADMIN) -> None:
    page.goto(gateway.url + "/admin/")
    page.get_by_label("Management secret").fill(secret)
    page.get_by_role("button", name="Sign in").click()


def model_row(page, model_id: str):
    return page.locator(f'tr.model[data-model="{model_id}"]')


def menu_item(page, label: str, item: str):
    page.get_by_role("button", name=label).click()
    return page.get_by_role("menuitem", name=item)


def add_provider(page, upstream: MockUpstream, name: str, models: str) -> None:
    page.get_by_role("button", name="Add Provider").first.click()
    dialog = page.locator("#provider-dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Type").select_option("openai-compatible")
    dialog.get_by_label("Base URL").fill(upstream.base_url)
    dialog.get_by_label("API Key").fill(UPSTREAM_KEY)
    dialog.get_by_label("Models (one per line or comma-separated)").fill(models)
    dialog.get_by_role("button", name="Save").click()
    page.locator(f'tr.provider[data-provider="{name}"]').wait_for()


def test_sign_in_refuses_a_wrong_secret_and_shows_the_empty_state(page, gateway_factory, upstream_a, env):
    gateway = gateway_factory("host: 127.0.0.1\nremote-management: {secret-key: " + ADMIN + "}\n", env=env)
    sign_in(page, gateway, "wrong-secret")
    playwright_sync.expect(page.get_by_role("alert")).to_contain_text("refused that secret")
    sign_in(page, gateway)
    empty = page.get_by_text("No providers configured yet. Add one to get started.")
    playwright_sync.expect(empty).to_be_visible()
    shot(page, "empty-state")
    page.locator(".empty").get_by_role("button", name="Add Provider").click()
    playwright_sync.expect(page.locator("#provider-dialog")).to_be_visible()
    # The type list groups API-key types and subscription (OAuth) types.
    groups = page.locator("#f-type optgroup")
    assert groups.evaluate_all("gs => gs.map(g => g.label)") == ["API Key", "Subscription / OAuth"]
    page.keyboard.press("Escape")
    playwright_sync.expect(page.locator("#provider-dialog")).to_be_hidden()
    # A page reload keeps the secret for this tab.
    page.reload()
    playwright_sync.expect(empty).to_be_visible()


def test_providers_models_tests_and_the_active_and_fallback_model(page, gateway_factory, upstream_a, upstream_b, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    sign_in(page, gateway)
    add_provider(page, upstream_a, "team", "m1, m2")
    add_provider(page, upstream_b, "solo", "only")
    for model_id in ("team/m1", "team/m2", "solo/only"):
        playwright_sync.expect(model_row(page, model_id).locator("td.status")).to_have_text("Untested")
    # Rows: providers sorted by name (config's read-only one among them), models indented.
    names = page.locator("tr.provider").evaluate_all("rows => rows.map(r => r.dataset.provider)")
    assert names == ["fromfile", "solo", "team"]
    playwright_sync.expect(page.locator('tr.provider[data-provider="fromfile"]')).to_contain_text("read-only")
    assert page.locator('tr.provider[data-provider="fromfile"] .menu-trigger').count() == 0
    shot(page, "providers")

    # Test Connection: Untested -> Connected with a green banner.
    menu_item(page, "Actions for model team/m1", "Test Connection").click()
    playwright_sync.expect(page.locator('[data-banner-for="team/m1"] .banner.ok')).to_contain_text("Connected in")
    playwright_sync.expect(model_row(page, "team/m1").locator("td.status")).to_have_text("Connected")
    # ... and into Error against a failing upstream, its message in the red banner.
    upstream_b.default = status(401, "Invalid API key for this project")
    menu_item(page, "Actions for model solo/only", "Test Connection").click()
    red = page.locator('[data-banner-for="solo/only"] .banner.error')
    playwright_sync.expect(red).to_contain_text("Invalid API key for this project")
    playwright_sync.expect(model_row(page, "solo/only").locator("td.status")).to_have_text("Error")
    shot(page, "test-results")

    # Set Active / Set Fallback / Remove Fallback.
    menu_item(page, "Actions for model team/m1", "Set Active").click()
    playwright_sync.expect(model_row(page, "team/m1").locator(".badge.active")).to_have_text("Active")
    menu_item(page, "Actions for model solo/only", "Set Fallback").click()
    playwright_sync.expect(model_row(page, "solo/only").locator(".badge.fallback")).to_have_text("Fallback")
    shot(page, "active-and-fallback")
    menu_item(page, "Actions for model solo/only", "Remove Fallback").click()
    playwright_sync.expect(model_row(page, "solo/only").locator(".badge.fallback")).to_have_count(0)

    # The two remove guards, and Delete disabled for the active model's provider.
    active_remove = menu_item(page, "Actions for model team/m1", "Remove Model")
    playwright_sync.expect(active_remove).to_be_disabled()
    assert "make another model active" in active_remove.get_attribute("title")
    page.keyboard.press("Escape")
    last_remove = menu_item(page, "Actions for model solo/only", "Remove Model")
    playwright_sync.expect(last_remove).to_be_disabled()
    assert "delete the provider instead" in last_remove.get_attribute("title")
    page.keyboard.press("Escape")
    delete = menu_item(page, "Actions for provider team", "Delete")
    playwright_sync.expect(delete).to_be_disabled()
    page.keyboard.press("Escape")

    # Remove Model (with its confirmation) where the guards allow it.
    menu_item(page, "Actions for model team/m2", "Remove Model").click()
    playwright_sync.expect(page.locator("#confirm-text")).to_have_text('Remove model "m2" from "team"?')
    page.get_by_role("button", name="Confirm").click()
    playwright_sync.expect(model_row(page, "team/m2")).to_have_count(0)

    # Edit with the key left empty keeps the stored key.
    menu_item(page, "Actions for provider team", "Edit").click()
    dialog = page.locator("#provider-dialog")
    playwright_sync.expect(dialog.get_by_label("API Key")).to_have_attribute(
        "placeholder", "Leave empty to keep existing key"
    )
    dialog.get_by_label("Degraded Threshold (ms)").fill("1234")
    dialog.get_by_role("button", name="Save").click()
    playwright_sync.expect(dialog).to_be_hidden()
    stored = httpx.get(gateway.url + "/v0/management/providers", headers={"authorization": f"Bearer {ADMIN}"}).json()[
        "data"
    ]
    assert [p["degraded_threshold_ms"] for p in stored if p["name"] == "team"] == [1234]
    upstream_a.reset()
    answer = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        json={"model": "team/m1", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert answer.status_code == 200 and upstream_a.requests[-1].key == UPSTREAM_KEY

    # Delete a provider that does not serve the active model, after its confirmation.
    menu_item(page, "Actions for provider solo", "Delete").click()
    playwright_sync.expect(page.locator("#confirm-text")).to_contain_text('Delete provider "solo"?')
    page.get_by_role("button", name="Confirm").click()
    playwright_sync.expect(page.locator('tr.provider[data-provider="solo"]')).to_have_count(0)


def test_menus_and_dialogs_work_from_the_keyboard(page, gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    sign_in(page, gateway)
    add_provider(page, upstream_a, "team", "m1, m2")
    trigger = page.get_by_role("button", name="Actions for model team/m1")
    trigger.focus()
    page.keyboard.press("Enter")
    first = page.get_by_role("menuitem", name="Test Connection")
    playwright_sync.expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    playwright_sync.expect(page.get_by_role("menuitem", name="Set Active")).to_be_focused()
    page.keyboard.press("Enter")
    playwright_sync.expect(model_row(page, "team/m1").locator(".badge.active")).to_be_visible()
    trigger = page.get_by_role("button", name="Actions for model team/m2")
    trigger.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    playwright_sync.expect(page.get_by_role("menu")).to_have_count(0)
    playwright_sync.expect(trigger).to_be_focused()
    # Every field of the dialog has a label.
    page.get_by_role("button", name="Add Provider").first.click()
    unlabelled = page.locator("#provider-dialog").evaluate(
        "d => [...d.querySelectorAll('input, select, textarea')].filter(e => !e.labels || !e.labels.length)"
        ".filter(e => !e.getAttribute('aria-label')).map(e => e.id)"
    )
    assert unlabelled == []


class FakeOllama:
    """/api/tags and a streamed /api/pull, as Ollama answers them."""

    def __init__(self) -> None:
        self.port = 0
        self.installed = [{"name": "llama3.2:3b", "size": 2_019_393_189,
                           "details": {"parameter_size": "3.2B", "quantization_level": "Q4_K_M"}}]  # fmt: skip

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await request_body(receive)
        if scope["path"] == "/api/tags":
            await _send_json(send, 200, {"models": [{**m, "model": m["name"]} for m in self.installed]})
            return
        if scope["path"] == "/api/pull":
            model = orjson.loads(raw)["model"]
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/x-ndjson")]})  # fmt: skip
            steps = [{"status": "pulling manifest"}]
            steps += [{"status": "pulling 6a0746a1ec1a", "digest": "sha256:6a07", "total": 1000, "completed": c}
                      for c in (0, 250, 500, 750, 1000)]  # fmt: skip
            steps += [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
            for step in steps:
                await send({"type": "http.response.body", "body": orjson.dumps(step) + b"\n", "more_body": True})
                await asyncio.sleep(0.15)
            self.installed.append({"name": model, "size": 1_000, "details": {"parameter_size": "1B"}})
            await send({"type": "http.response.body", "body": b""})
            return
        await _send_json(send, 404, {"error": "not found"})


def test_the_ollama_panel_lists_pulls_with_progress_and_says_when_ollama_is_unreachable(
    page, gateway_factory, upstream_a, env
):
    fake = FakeOllama()
    with ServerThread(fake) as server:
        gateway = gateway_factory(config(upstream_a.base_url), env=env)
        sign_in(page, gateway)
        page.get_by_role("button", name="Add Provider").first.click()
        dialog = page.locator("#provider-dialog")
        dialog.get_by_label("Type").select_option("ollama")
        dialog.get_by_label("Base URL").fill("http://127.0.0.1:9")  # nothing listens there
        dialog.get_by_role("button", name="Refresh").click()
        banner = dialog.locator("#ollama-error")
        playwright_sync.expect(banner).to_contain_text("Could not reach Ollama at http://127.0.0.1:9")
        shot(page, "ollama-unreachable")
        dialog.get_by_label("Base URL").fill(f"http://127.0.0.1:{server.port}")
        dialog.get_by_role("button", name="Retry").click()
        playwright_sync.expect(banner).to_be_hidden()
        playwright_sync.expect(dialog.locator("#ollama-models")).to_contain_text("llama3.2:3b — 3.2B · Q4_K_M · 2.0 GB")
        dialog.get_by_label("Pull Model").fill("qwen3:0.6b")
        dialog.get_by_role("button", name="Pull", exact=True).click()
        playwright_sync.expect(dialog.locator("#ollama-stage")).to_have_text("pulling 6a0746a1ec1a")
        # The bar moves with the streamed progress: seen part-way, before the pull is over.
        page.wait_for_function(
            "() => { const b = document.getElementById('ollama-progress-bar');"
            " return b.max === 1000 && b.value > 0 && b.value < 1000; }"
        )
        shot(page, "ollama-pulling")
        playwright_sync.expect(dialog.locator("#ollama-stage")).to_have_text("success", timeout=15_000)
        playwright_sync.expect(dialog.locator("#ollama-models")).to_contain_text("qwen3:0.6b")
        # The pulled model comes back checked; save makes the provider.
        dialog.get_by_label("Name").fill("local")
        dialog.get_by_role("button", name="Save").click()
        playwright_sync.expect(model_row(page, "local/qwen3:0.6b")).to_be_visible()


def test_usage_and_health_show_the_traffic_sent_through_the_gateway(page, gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    for _ in range(3):
        answer = httpx.post(
            gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {CLIENT_KEY}"},
            json={"model": "fromfile/file-model", "messages": [{"role": "user", "content": "Hi"}]},
        )
        assert answer.status_code == 200
    sign_in(page, gateway)
    page.get_by_role("button", name="Token Usage").click()
    totals = page.locator("#usage-table tfoot tr")
    # The mock upstream reports 5 prompt and 2 completion tokens per answer.
    playwright_sync.expect(totals).to_contain_text("Total")
    assert totals.locator("td").all_inner_texts()[:3] == ["3", "15", "6"]
    rows = page.locator("#usage-table tbody tr").all_inner_texts()
    assert len(rows) == 1 and "fromfile" in rows[0] and "file-model" in rows[0]
    # One bar per day of the period; today's holds the traffic.
    bars = page.locator("#usage-chart rect")
    playwright_sync.expect(bars).to_have_count(7)
    assert float(bars.last.get_attribute("height")) > 0 and float(bars.first.get_attribute("height")) == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text()
    header = csv_text.splitlines()[0].split(",")
    assert {"provider", "model", "day", "requests", "cost_usd"} <= set(header) and "file-model" in csv_text
    shot(page, "usage")

    page.get_by_role("button", name="Health").click()
    row = page.locator("#health-table tbody tr").first
    playwright_sync.expect(row).to_contain_text("fromfile")
    playwright_sync.expect(row).to_contain_text("Healthy")
    upstream_a.default = status(503, "upstream overloaded")
    httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        json={"model": "fromfile/file-model", "messages": [{"role": "user", "content": "Hi"}]},
    )
    # Refreshed live: the failure shows up without a reload.
    playwright_sync.expect(row).to_contain_text("upstream overloaded", timeout=6_000)
    shot(page, "health")


def test_the_page_is_readable_at_phone_width(browser, gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, gateway)
        page.locator('tr.provider[data-provider="fromfile"]').wait_for()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        shot(page, "phone")
    finally:
        context.close()


def test_the_page_is_off_without_a_management_secret(gateway_factory, upstream_a):
    gateway = gateway_factory(f"openai-compatibility: [{{name: x, base-url: '{upstream_a.base_url}'}}]\n")
    assert httpx.get(gateway.url + "/admin/").status_code == 404
    redirect = httpx.get(gateway.url + "/admin")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/admin/"
    off = gateway_factory(f"remote-management: {{secret-key: {ADMIN}, disable-control-panel: true}}\n")
    assert httpx.get(off.url + "/admin/").status_code == 404
    assert httpx.get(off.url + "/v0/management/catalog", headers={"authorization": f"Bearer {ADMIN}"}).is_success
    on = gateway_factory(f"remote-management: {{secret-key: {ADMIN}}}\n")
    served = httpx.get(on.url + "/admin/")
    assert served.status_code == 200 and "<title>llm-gateway admin</title>" in served.text
    # Everything the page loads comes from the gateway itself.
    assert re.findall(r'(?:src|href)="([^"]+)"', served.text) == ["console.css", "console.js"]
