"""The one login gate: who may see the pages, the login form, the Log out button.

The decisions (which method, password check, delay after a failure) live in `recs.auth`; this module draws them.
Only `pages.parts.frame` calls it, before any page draws.
"""

from __future__ import annotations

import time

import streamlit as st

from recs import auth

AUTHENTICATED = "authenticated"  # session key: the visitor gave the right password in this session


@st.cache_resource(show_spinner=False)
def _failed_logins() -> dict[str, int]:
    """Process-wide count of consecutive failed password tries (a new session does not reset it)."""
    return {"count": 0}


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
        failures = _failed_logins()
        if auth.check_password(given, auth.configured_password() or ""):
            failures["count"] = 0
            st.session_state[AUTHENTICATED] = True
            st.rerun()
        failures["count"] += 1
        time.sleep(auth.failure_delay(failures["count"]))
        st.error("Wrong password.")


def draw_logout() -> None:
    """A Log out button (in the caller's container) when the visitor logged in; nothing on an open local app."""
    how = method()
    if how == "oidc":
        st.button("Log out", on_click=st.logout, key="logout")
    elif how == "password" and st.button("Log out", key="logout"):
        st.session_state[AUTHENTICATED] = False
        st.rerun()
