"""Who may look: decisions about serving and logging in, without any UI.

Order data is personal data. On a loopback address the app is open to the local user; anywhere else
it requires a login: Streamlit's OIDC `st.login` when `.streamlit/secrets.toml` has an `[auth]`
section, else a password from $REPEAT_PASSWORD. With neither, Repeat refuses to serve.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

LOCAL_NAMES = {"localhost", "localhost.localdomain"}
PASSWORD_ENV = "REPEAT_PASSWORD"


def is_local_address(host: str | None) -> bool:
    """True for loopback addresses (127.0.0.0/8, ::1, localhost). None or '' means all interfaces."""
    if not host:
        return False
    host = host.strip().strip("[]").lower()
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configured_password() -> str | None:
    """The password from the environment, or None when unset or empty."""
    value = os.environ.get(PASSWORD_ENV, "")
    return value or None


def secrets_have_oidc(secrets_file: Path | None = None) -> bool:
    """True when `.streamlit/secrets.toml` configures Streamlit's built-in login (an [auth] table)."""
    import tomllib

    path = secrets_file or Path(".streamlit/secrets.toml")
    if not path.exists():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    auth = data.get("auth")
    return isinstance(auth, dict) and bool(auth)


def login_method(host: str | None, has_oidc: bool, password: str | None) -> str:
    """How a visitor must log in: 'oidc', 'password', 'none' (local, nothing configured) or 'refuse'."""
    if has_oidc:
        return "oidc"
    if password:
        return "password"
    if is_local_address(host):
        return "none"
    return "refuse"


def refusal_message(host: str | None) -> str:
    return (
        f"Repeat refuses to serve order data on {host or 'all interfaces'} without a login. "
        f"Set {PASSWORD_ENV} in the environment, or configure Streamlit's login ([auth] in "
        ".streamlit/secrets.toml), or serve on 127.0.0.1."
    )


def check_password(given: str, expected: str) -> bool:
    """Constant-time comparison, so response time does not leak how much of the password matched."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def failure_delay(failures: int) -> float:
    """Seconds to wait after the n-th failed try: 1, 2, 4, capped at 8, to slow guessing."""
    if failures <= 0:
        return 0.0
    return float(min(8, 2 ** (failures - 1)))
