"""The one login gate: who may see the pages, the login form, the Log out button.

The decisions (which method, password check, limits on wrong passwords) live in `recs.auth`; this module draws them.
Only `pages.parts.frame` calls it, before any page draws.
"""

from __future__ import annotations

import time

import streamlit as st

from recs import auth

AUTHENTICATED = "authenticated"  # session key: the visitor gave the right password in this session


@st.cache_resource(show_spinner=False)
def _throttle() -> auth.LoginThrottle:
    """The process-wide wrong-password limits (per client address and global; a new session does not reset)."""
    return auth.LoginThrottle()


def _client() -> str:
    """This visitor's address as the throttle knows it (st.context: the connection, or a trusted proxy's header)."""
    return auth.client_key(st.context.ip_address, dict(st.context.headers))


def method() -> str:
    """'none', 'password', 'oidc' or 'refuse' for this server (see `recs.auth.login_method`)."""
    return auth.login_method(st.get_option("server.address"), auth.secrets_have_oidc(), auth.configured_password())


def logged_in() -> bool:
    """True when no login is required or the visitor has passed it (draws nothing)."""
    how = method()
    if how == "none":
        return True
    if how == "oidc":
        return bool(st.user.is_logged_in)
    return how == "password" and bool(st.session_state.get(AUTHENTICATED))


def draw_login() -> None:
    """What a visitor who is not logged in sees: the refusal, the OIDC button or the password form."""
    how = method()
    if how == "refuse":
        st.error(auth.refusal_message(st.get_option("server.address")))
        return
    st.title("Repeat")
    if how == "oidc":
        st.write("This shop's order data is private. Log in to continue.")
        st.button("Log in", on_click=st.login, type="primary", key="login")
        return
    st.write("This shop's order data is private. Enter the password to continue.")
    with st.form("login", clear_on_submit=True):
        given = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        throttle, client = _throttle(), _client()
        wait = throttle.attempt(client)
        if wait > 0:  # refused at once, before the password is compared: no server thread is held
            st.error(auth.wait_message(wait))
            return
        if auth.check_password(given, auth.configured_password() or ""):
            throttle.succeeded(client)
            st.session_state[AUTHENTICATED] = True
            st.rerun()
        time.sleep(throttle.failed(client))  # this client's wait (1, 2, 4, 8 s); other clients are not held
        st.error("Wrong password.")


def draw_logout() -> None:
    """A Log out button (in the caller's container) when the visitor logged in; nothing on an open local app."""
    how = method()
    if how == "oidc":
        st.button("Log out", on_click=st.logout, key="logout")
    elif how == "password" and st.button("Log out", key="logout"):
        st.session_state[AUTHENTICATED] = False
        st.rerun()
