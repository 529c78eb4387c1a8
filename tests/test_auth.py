"""Who may look: the login decision, constant-time password check, and `recs serve` refusing to expose data."""

from __future__ import annotations

import subprocess
import sys

import pytest

from recs import auth
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("", False), (None, False), ("192.168.1.5", False), ("example.org", False), ("::", False)],
)
def test_is_local_address(host, local):
    assert auth.is_local_address(host) is local


@pytest.mark.parametrize(
    ("host", "oidc", "password", "method"),
    [("127.0.0.1", False, None, "none"), ("0.0.0.0", False, None, "refuse"), ("0.0.0.0", False, "pw", "password"),
     ("0.0.0.0", True, None, "oidc"), ("127.0.0.1", False, "pw", "password"), (None, False, None, "refuse")],
)
def test_login_method(host, oidc, password, method):
    assert auth.login_method(host, oidc, password) == method


def test_check_password_exact_match_only():
    assert auth.check_password("s3cret-ü", "s3cret-ü")
    assert not auth.check_password("s3cret", "s3cret-ü")
    assert not auth.check_password("", "x")


def test_failure_delay_grows_and_is_capped():
    delays = [auth.failure_delay(n) for n in range(0, 8)]
    assert delays[0] == 0 and delays[1] >= 1
    assert delays == sorted(delays) and max(delays) == 8


def test_secrets_with_auth_table_enable_oidc(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert not auth.secrets_have_oidc(secrets)
    secrets.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\ncookie_secret = "abc"\n')
    assert auth.secrets_have_oidc(secrets)
    secrets.write_text('other = 1\n')
    assert not auth.secrets_have_oidc(secrets)


def test_serve_refuses_non_local_address_without_login(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "recs", "serve", "--host", "0.0.0.0", "--port", "8599", "--db", str(tmp_path / "x.duckdb")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "refuses to serve" in result.stderr and "REPEAT_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


PAGE_FILES = ["pages/overview.py", "pages/retention.py", "pages/customers.py", "pages/recommendations.py",
              "pages/customer.py", "pages/product.py", "pages/experiments.py", "pages/data.py"]


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_file_passes_the_one_login_gate(page, demo_db, use_db, monkeypatch):
    """AppTest runs a page file alone, as Streamlit does for a deep link on a fresh server: the page still draws
    only the login until the password is given, then itself (pages.parts.frame.enter)."""
    from streamlit.testing.v1 import AppTest

    use_db(demo_db)
    monkeypatch.setenv(auth.PASSWORD_ENV, "correct horse")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Repeat"] and not at.metric and not at.dataframe
    at.text_input(key="password").input("wrong")
    at.button[0].click()  # the form's Log in
    at.run()
    assert any("Wrong password" in e.value for e in at.error) and [t.value for t in at.title] == ["Repeat"]
    at.text_input(key="password").input("correct horse")
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title][:1] != ["Repeat"] and at.title, "the page did not draw after the login"
    assert at.button(key="logout")  # the sidebar's Log out


class Clock:
    """A hand-moved clock for the throttle (time passes only when the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parallel_tries_of_one_client_get_one_guess_per_wait():
    import threading

    throttle = auth.LoginThrottle()
    start = threading.Barrier(6)
    answers: list[float] = []

    def session() -> None:
        start.wait()
        answers.append(throttle.attempt("203.0.113.7"))

    threads = [threading.Thread(target=session) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers)[0] == 0.0 and all(0 < a <= 1.0 for a in sorted(answers)[1:])  # six sessions, one guess


def test_waits_grow_per_client_and_never_touch_another_client():
    clock = Clock()
    throttle = auth.LoginThrottle(clock=clock)
    waits = []
    for _ in range(5):
        assert throttle.attempt("attacker") == 0.0
        waits.append(throttle.failed("attacker"))
        assert throttle.attempt("attacker") == pytest.approx(waits[-1])  # refused until the wait has passed
        assert throttle.attempt("someone else") == 0.0  # another user's typo is not slowed
        throttle.succeeded("someone else")
        clock.now += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]
    throttle.succeeded("attacker")
    assert throttle.attempt("attacker") == 0.0 and throttle.failed("attacker") == 1.0  # a success starts afresh


def test_a_guess_from_many_addresses_is_capped_globally_but_fresh_clients_still_try():
    clock = Clock()
    throttle = auth.LoginThrottle(global_max=10, window=60.0, clock=clock)
    for n in range(10):
        assert throttle.attempt(f"bot-{n}") == 0.0
        throttle.failed(f"bot-{n}")
    clock.now += 10  # every bot's own wait has passed, the global window has not
    assert throttle.attempt("bot-3") == pytest.approx(50.0)
    assert throttle.attempt("a customer") == 0.0  # no failure of its own: never blocked by the attack
    clock.now += 50
    assert throttle.attempt("bot-3") == 0.0


def test_client_key_trusts_forwarded_for_only_behind_a_declared_proxy():
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    assert auth.client_key("10.0.0.2", headers, trust_proxy=False) == "10.0.0.2"
    assert auth.client_key("10.0.0.2", headers, trust_proxy=True) == "203.0.113.9"  # the hop our proxy added
    assert auth.client_key(None, {}, trust_proxy=True) == "local"


def test_two_sessions_guessing_at_once_get_one_answer_and_one_refusal(demo_db, use_db, monkeypatch):
    """Two browser sessions of one address submit a wrong password together: one is checked ("Wrong password",
    after its wait), the other is refused at once without checking."""
    import threading

    from streamlit.testing.v1 import AppTest

    use_db(demo_db)
    monkeypatch.setenv(auth.PASSWORD_ENV, "correct horse")
    sessions = [AppTest.from_file(str(REPO / "app.py"), default_timeout=60) for _ in range(2)]
    for at in sessions:
        at.run()
        at.text_input(key="password").input("wrong")
    start = threading.Barrier(2)

    def submit(at) -> None:
        start.wait()
        at.button[0].click()
        at.run()

    threads = [threading.Thread(target=submit, args=(at,)) for at in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    said = sorted(e.value for at in sessions for e in at.error)
    assert len(said) == 2 and said[0].startswith("Too many wrong passwords") and said[1] == "Wrong password.", said
    ok = sessions[0]
    ok.text_input(key="password").input("correct horse")
    ok.button[0].click()
    ok.run()
    assert ok.button(key="logout")  # once the wait has passed, the right password gets in
