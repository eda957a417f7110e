"""axe-core on every console page, in both languages: no serious or critical violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.vocabulary import Role
from tests.web.conftest import log_in, open_console, serious_violations


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_login_page(page, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    assert serious_violations(page) == []


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_live_console_with_its_shortcut_list_open(page, make_login, lang: str) -> None:
    open_console(page, make_login(Role.SUPERVISOR, None))
    page.goto(f"/console/live?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    assert serious_violations(page) == []
    page.locator("body").press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert serious_violations(page) == []


def test_an_error_page(page, make_login) -> None:
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    page.goto("/console/no-such-page")  # no page group: the app's 404
    page.goto("/console/live?lang=en")
    assert serious_violations(page) == []
