"""The harness itself: the mailed link comes from the server's own mail on both stacks, and the
console watch catches what it must (so that a clean run means something)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.app.helpers import AppServer, ConsoleErrors, axe, fresh_name, page_lang, shot
from tests.factories.accounts import DEFAULT_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_mail_link_is_the_verification_link_the_server_mailed(
    app_server: AppServer, mail_link: Callable[..., str]
) -> None:
    name = fresh_name()
    address = f"{name}@example.com"
    signup = httpx.post(
        f"{app_server.url}/v1/auth/signup",
        json={"email": address, "username": name, "password": DEFAULT_PASSWORD},
    )
    assert signup.status_code == 201, signup.text
    link = mail_link(address)
    assert link.startswith(app_server.url + "/")
    assert "token=" in link
    assert mail_link(address, count=1) == link
    assert httpx.get(link).status_code == 200


def test_console_errors_and_page_errors_are_caught(
    phone: Page, console_errors: ConsoleErrors
) -> None:
    phone.evaluate("console.error('harness: a console error')")
    phone.evaluate("setTimeout(() => { throw new Error('harness: an uncaught error') })")
    phone.wait_for_timeout(200)
    caught = "\n".join(console_errors.errors)
    assert "harness: a console error" in caught
    assert "harness: an uncaught error" in caught
    console_errors.errors.clear()
    console_errors.allow("harness: expected")
    phone.evaluate("console.error('harness: expected one')")
    phone.wait_for_timeout(100)
    assert console_errors.errors == []


def test_axe_fails_on_a_critical_violation_and_shot_saves_by_language(
    phone: Page, console_errors: ConsoleErrors
) -> None:
    phone.evaluate(
        "document.body.append(Object.assign(document.createElement('button'), {id: 'nameless'}))"
    )
    with pytest.raises(pytest.fail.Exception, match="button-name"):
        axe(phone, name="a nameless button")
    phone.evaluate("document.getElementById('nameless').remove()")
    axe(phone)
    path = shot(phone, "harness-check")
    assert path.parent.name == page_lang(phone) == "en"
    assert path.read_bytes().startswith(b"\x89PNG")
    path.unlink()
