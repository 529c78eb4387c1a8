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
