"""Who may look: decisions about serving and logging in, without any UI.

Order data is personal data. On a loopback address the app is open to the local user; anywhere else
it requires a login: Streamlit's OIDC `st.login` when `.streamlit/secrets.toml` has an `[auth]`
section, else a password from $REPEAT_PASSWORD. With neither, Repeat refuses to serve. Wrong passwords are
limited per client address and for the whole server (`LoginThrottle`), without slowing other users.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

LOCAL_NAMES = {"localhost", "localhost.localdomain"}
PASSWORD_ENV = "REPEAT_PASSWORD"
TRUSTED_PROXY_ENV = "REPEAT_TRUSTED_PROXY"


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


def client_key(ip_address: str | None, headers: Mapping[str, str] | None = None,
               trust_proxy: bool | None = None) -> str:
    """Who is trying to log in, for the throttle: the connection's IP address ('local' on loopback). Behind a
    reverse proxy ($REPEAT_TRUSTED_PROXY=1) the address the proxy appended last to X-Forwarded-For, since then
    every connection comes from the proxy; without that setting the header is ignored (anyone can write it)."""
    if trust_proxy is None:
        trust_proxy = os.environ.get(TRUSTED_PROXY_ENV, "") == "1"
    if trust_proxy and headers:
        forwarded = [part.strip() for part in str(headers.get("X-Forwarded-For", "")).split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return ip_address or "local"


@dataclass
class _Client:
    failures: int = 0
    next_try: float = 0.0  # monotonic time before which this client's tries are refused
    seen: float = 0.0


class LoginThrottle:
    """Wrong-password limits per client and for the whole server, shared by every session of the process.

    - Per client: after the n-th consecutive failure its next try waits `failure_delay(n)` (1, 2, 4, 8 s). A try
      reserves that wait before the password is compared, so parallel sessions of one client get one guess per
      wait, not one each. A success clears the client.
    - Globally: more than `global_max` failures in `window` seconds (a guess from many addresses) refuses further
      tries from clients that have already failed, until the window frees up; a client with no failure always
      gets its try, so one attacker never slows another user's next typo.
    Refusals are immediate (`attempt` says how long to wait); only the one allowed try per wait may make its own
    session wait out the delay before answering (so a person's next try after "Wrong password" is allowed).
    """

    def __init__(self, global_max: int = 30, window: float = 60.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.global_max, self.window, self.max_clients, self.clock = global_max, window, max_clients, clock
        self._clients: dict[str, _Client] = {}
        self._recent: deque[float] = deque()  # times of failures, any client, within the window
        self._lock = threading.Lock()

    def attempt(self, client: str) -> float:
        """0 when `client` may try now (its next failure's wait is reserved), else the seconds to wait."""
        with self._lock:
            now = self.clock()
            self._forget(now)
            state = self._clients.setdefault(client, _Client())
            state.seen = now
            wait = state.next_try - now
            if wait <= 0 and state.failures and len(self._recent) >= self.global_max:
                wait = self._recent[0] + self.window - now
            if wait > 0:
                return float(wait)
            state.next_try = now + failure_delay(state.failures + 1)
            return 0.0

    def failed(self, client: str) -> float:
        """Record a wrong password of `client` (after an allowed `attempt`); the seconds before its next try."""
        with self._lock:
            now = self.clock()
            state = self._clients.setdefault(client, _Client())
            state.failures += 1
            state.next_try = max(state.next_try, now + failure_delay(state.failures))
            state.seen = now
            self._recent.append(now)
            return state.next_try - now

    def succeeded(self, client: str) -> None:
        """The right password: the client starts afresh."""
        with self._lock:
            self._clients.pop(client, None)

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        if len(self._clients) > self.max_clients:  # bounded memory: drop the longest-idle clients
            for key, _ in sorted(self._clients.items(), key=lambda kv: kv[1].seen)[: len(self._clients) // 10]:
                del self._clients[key]


def wait_message(seconds: float) -> str:
    """The refusal a throttled client reads."""
    return (f"Too many wrong passwords from your address: wait {max(1, math.ceil(seconds))} s and try again "
            "(the password was not checked).")
