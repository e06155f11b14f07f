"""Log-in answers, the new-password form and the users page, in-process on both stores."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.adapters.web.test_pages import csrf_in, log_in
from tests.conftest import PASSWORD, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role


def answer(client: TestClient, username: str, password: str) -> tuple[int, str]:
    response = log_in(client, username, password)
    body = response.text.replace(csrf_in(response.text), "CSRF").replace(
        f'value="{username}"', 'value="NAME"'
    )
    return response.status_code, body


def test_unknown_disabled_throttled_and_wrong_password_log_ins_get_the_same_answer(
    client: TestClient, container: Container, people: People
) -> None:
    wrong, disabled, throttled, admin = people(), people(), people(), people(Role.ADMIN)
    container.user_admin.disable(admin, disabled.username, "left the force", container.clock())
    for _ in range(container.settings.login_free_failures):
        log_in(client, throttled.username, "not-the-password")
    started = log_in(client, throttled.username, "not-the-password")
    assert started.headers["retry-after"] == "2"
    answers = {
        "unknown": answer(client, "nobody.here", PASSWORD),
        "disabled": answer(client, disabled.username, PASSWORD),
        "throttled": answer(client, throttled.username, PASSWORD),
        "wrong password": answer(client, wrong.username, "not-the-password"),
        "too long": answer(client, wrong.username, "p" * 5000),
    }
    assert {status for status, _ in answers.values()} == {401}
    assert len({body for _, body in answers.values()}) == 1


def test_a_reset_user_chooses_a_new_password_and_is_logged_in(
    client: TestClient, container: Container, people: People
) -> None:
    user, admin = people(), people(Role.ADMIN)
    temporary = container.user_admin.reset_password(admin, user.username, "forgot it", container.clock())
    page = log_in(client, user.username, temporary)
    assert page.status_code == 200 and "Choose a new password" in page.text
    assert "thriives_session" not in page.headers.get("set-cookie", "")
    form = {"username": user.username, "password": temporary, "csrf_token": csrf_in(page.text), "next": "/"}
    weak = client.post(
        "/login/password", data=form | {"new_password": "password123", "new_password_again": "password123"}
    )
    assert weak.status_code == 422 and 'id="new_password-error"' in weak.text and "common" in weak.text
    form["csrf_token"] = csrf_in(weak.text)
    new = "a quiet harbour at dusk"
    done = client.post(
        "/login/password",
        data=form | {"new_password": new, "new_password_again": new},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "thriives_session=" in done.headers["set-cookie"]
    assert log_in(client, user.username, new).status_code == 303


def test_the_users_page_is_for_administrators_only(client: TestClient, people: People) -> None:
    log_in(client, people(Role.SUPERVISOR).username)
    assert client.get("/admin/users").status_code == 403


def test_an_administrator_disables_a_user_from_the_page_saying_why(
    client: TestClient, container: Container, people: People
) -> None:
    user, admin = people(), people(Role.ADMIN)
    log_in(client, admin.username)
    listed = client.get("/admin/users")
    assert listed.status_code == 200 and f'href="/admin/users/{user.username}"' in listed.text
    page = client.get(f"/admin/users/{user.username}")
    token = csrf_in(page.text)
    refused = client.post(
        f"/admin/users/{user.username}/disable", data={"csrf_token": token, "action": "disable"}
    )
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    forged = client.post(f"/admin/users/{user.username}/disable", data={"reason": "left the force"})
    assert forged.status_code in (403, 422) and "CSRF" in forged.text
    done = client.post(
        f"/admin/users/{user.username}/disable", data={"csrf_token": token, "reason": "left the force"}
    )
    assert done.status_code == 200 and "Account disabled" in done.text
    assert re.search(r'id="state">\s*disabled', done.text)
    reset = client.post(
        f"/admin/users/{user.username}/password-reset", data={"csrf_token": token, "reason": "forgot it"}
    )
    temporary = re.search(r'<code id="temporary">([^<]+)</code>', reset.text)
    assert temporary and len(temporary.group(1)) >= 10
