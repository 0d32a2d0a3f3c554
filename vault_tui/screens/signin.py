"""The sign-in screen: every auth method with its fields, a "remember" checkbox, plain-text errors.

It is pushed over whatever is on screen (at start-up with no token, or when the worker reports
:class:`~vault_tui.messages.TokenLost`), so the user's place and unsaved edits underneath are
kept. It dismisses with ``(client_token, TokenInfo)``, or ``None`` when cancelled.

* A failed sign-in keeps every non-secret field (method, mount, role, username, JWT path) and
  clears the secret ones; Vault's reason is shown as plain text.
* "Remember" stores an AppRole secret_id (the unwrapped one, for a wrapped secret_id) or, for the
  other methods, the issued token, in the OS keyring under the current profile. With no usable
  keyring it says so and signs in anyway.
* With a remembered AppRole secret_id and the profile's role_id, it signs in by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..credentials import CredentialError, CredentialStore
from ..safe import visible
from ..vault.auth import (
    DEFAULT_K8S_JWT_PATH,
    DEFAULT_MOUNTS,
    METHOD_LABELS,
    METHODS,
    LoginRequest,
    LoginResult,
    login,
)
from ..vault.errors import VaultError
from ..vault.gateway import Gateway

# field id -> (label, methods that use it, secret?)
FIELDS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "token": ("Token", ("token",), True),
    "role": ("Role", ("approle", "kubernetes", "jwt"), False),
    "secret_id": ("Secret ID", ("approle",), True),
    "wrapped_secret_id": ("…or a wrapping token for the secret ID", ("approle",), True),
    "username": ("Username", ("userpass", "ldap"), False),
    "password": ("Password", ("userpass", "ldap"), True),
    "jwt_path": ("Service-account JWT file", ("kubernetes",), False),
    "jwt": ("JWT", ("jwt",), True),
}
ROLE_LABELS = {"approle": "Role ID", "kubernetes": "Role", "jwt": "Role (empty: the mount's default)"}
SECRET_FIELDS = tuple(name for name, (_l, _m, secret) in FIELDS.items() if secret)


@dataclass(frozen=True)
class SignInOutcome:
    result: LoginResult
    remembered: str  # what was remembered ("" if nothing)
    keyring_note: str  # why nothing was remembered, or ""


def sign_in(
    gateway: Gateway,
    request: LoginRequest,
    remember: bool,
    profile: str,
    store: CredentialStore | None,
) -> SignInOutcome:
    """Runs in a worker thread: log in, then (if asked) remember the credential."""
    result = login(gateway, request)
    remembered = ""
    note = ""
    if remember and store is not None:
        if result.method == "approle" and result.secret_id:
            kind, secret = "secret_id", result.secret_id
        else:
            kind, secret = "token", result.client_token
        try:
            status = store.store(profile, kind, secret)
        except CredentialError as error:
            note = str(error)
        else:
            if status.usable:
                remembered = "AppRole secret ID" if kind == "secret_id" else "token"
            else:
                note = status.message
    return SignInOutcome(result, remembered, note)


class SignInScreen(ModalScreen[tuple[str, Any] | None]):
    """Sign in with any auth method. Dismisses with ``(client_token, TokenInfo)`` or None."""

    CSS_PATH = Path(__file__).parent / "signin.tcss"
    VIEW_TITLE = "Sign in"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="signin.cancel"),
        Binding("ctrl+s", "submit", "Sign in", id="signin.submit"),
    ]

    class Succeeded(Message):
        def __init__(self, outcome: SignInOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    class Failed(Message):
        def __init__(self, error: VaultError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        reason: str = "",
        *,
        store: CredentialStore | None = None,
        auto: bool = True,
    ) -> None:
        super().__init__()
        self.reason = reason
        self._store = store
        self._auto = auto
        self.busy = False
        self.last_error: VaultError | None = None

    # -- helpers --------------------------------------------------------------------------------
    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = getattr(self.app, "credentials", None) or CredentialStore()
        return self._store

    @property
    def profile(self) -> str:
        return getattr(self.app.config, "profile", None) or "default"  # type: ignore[attr-defined]

    def _default(self, name: str, fallback: str = "") -> str:
        value = getattr(self.app.config, name, None)  # type: ignore[attr-defined]
        return str(value) if value else fallback

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        config = self.app.config  # type: ignore[attr-defined]
        connection = config.connection
        method = self._default("auth_method", "token")
        if method not in METHODS:
            method = "token"
        with VerticalScroll(id="signin-box"):
            title = Text("Sign in to ", style="bold")
            title.append(visible(connection.addr))
            if config.profile:
                title.append(f"   profile {visible(config.profile)}", style="magenta")
            if connection.namespace:
                title.append(f"   namespace {visible(connection.namespace)}", style="magenta")
            yield Static(title, id="signin-title")
            if self.reason:
                yield Static(Text(visible(self.reason, multiline=True)), id="signin-reason")
            if connection.skip_verify:
                yield Static(
                    Text("⚠ TLS verification is OFF: anyone on the network path can read what you type.",
                         style="bold"),
                    id="signin-tls-warning",
                )
            with Horizontal(classes="signin-row"):
                yield Label("Method", classes="signin-label")
                yield Select(
                    [(METHOD_LABELS[m], m) for m in METHODS], value=method, allow_blank=False, id="method"
                )
            with Horizontal(classes="signin-row"):
                yield Label("Mount path", classes="signin-label")
                yield Input(value=self._default("auth_mount"), placeholder=DEFAULT_MOUNTS[method], id="mount")
            for name, (label, methods, secret) in FIELDS.items():
                with Horizontal(classes="signin-row", id=f"row-{name}") as row:
                    row.display = method in methods
                    yield Label(ROLE_LABELS.get(method, label) if name == "role" else label,
                                classes="signin-label", id=f"label-{name}")
                    value = ""
                    if name == "role":
                        value = self._default("auth_role")
                    elif name == "username":
                        value = self._default("auth_username")
                    elif name == "jwt_path":
                        value = self._default("auth_jwt_path", DEFAULT_K8S_JWT_PATH)
                    yield Input(value=value, password=secret, id=name)
            yield Checkbox("Remember in the OS keyring (a token, or the AppRole secret ID)", id="remember")
            yield Static("", id="signin-keyring", markup=False)
            yield Static("", id="signin-error", markup=False)
            with Horizontal(id="signin-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Sign in", id="submit", variant="primary")

    def on_mount(self) -> None:
        self._focus_first_empty()
        if self._auto:
            self._try_remembered()

    def _focus_first_empty(self) -> None:
        for name, (_label, methods, _secret) in FIELDS.items():
            if self.method in methods:
                widget = self.query_one(f"#{name}", Input)
                if not widget.value:
                    widget.focus()
                    return
        self.query_one("#submit", Button).focus()

    @property
    def method(self) -> str:
        value = self.query_one("#method", Select).value
        return value if isinstance(value, str) else "token"

    @on(Select.Changed, "#method")
    def _method_changed(self, event: Select.Changed) -> None:
        method = self.method
        for name, (label, methods, _secret) in FIELDS.items():
            self.query_one(f"#row-{name}").display = method in methods
        self.query_one("#label-role", Label).update(ROLE_LABELS.get(method, "Role"))
        self.query_one("#mount", Input).placeholder = DEFAULT_MOUNTS[method]
        self._show_error("")

    @on(Checkbox.Changed, "#remember")
    def _remember_changed(self, event: Checkbox.Changed) -> None:
        note = self.query_one("#signin-keyring", Static)
        if not event.value:
            note.update("")
            return
        status = self.store.status
        note.update("" if status.usable else Text(visible(status.message), style="yellow"))

    def _show_error(self, text: str) -> None:
        self.query_one("#signin-error", Static).update(Text(visible(text, multiline=True), style="bold red") if text else "")

    # -- remembered credentials -------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="signin-keyring", exit_on_error=False)
    def _try_remembered(self) -> None:
        """A remembered AppRole secret_id + the profile's role_id: sign in without asking."""
        role_id = self._default("auth_role")
        if self._default("auth_method") != "approle" or not role_id:
            return
        try:
            secret_id = self.store.get(self.profile, "secret_id")
        except CredentialError:
            return
        if secret_id:
            request = LoginRequest("approle", mount=self._default("auth_mount"), role=role_id, secret_id=secret_id)
            self.app.call_from_thread(self._submit_request, request, False, "Signing in with the remembered AppRole secret ID…")

    # -- submit -----------------------------------------------------------------------------------
    def collect(self) -> LoginRequest:
        values = {name: self.query_one(f"#{name}", Input).value for name in FIELDS}
        return LoginRequest(
            method=self.method,
            mount=self.query_one("#mount", Input).value.strip(),
            role=values["role"].strip(),
            username=values["username"].strip(),
            password=values["password"],
            token=values["token"].strip(),
            secret_id=values["secret_id"].strip(),
            wrapped_secret_id=values["wrapped_secret_id"].strip(),
            jwt=values["jwt"].strip(),
            jwt_path=values["jwt_path"].strip() or DEFAULT_K8S_JWT_PATH,
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.busy:
            return
        self._submit_request(self.collect(), self.query_one("#remember", Checkbox).value, "Signing in…")

    def _submit_request(self, request: LoginRequest, remember: bool, status: str) -> None:
        self.busy = True
        self.query_one("#submit", Button).disabled = True
        self.query_one("#signin-error", Static).update(Text(status, style="dim"))
        store = self.store if remember else None
        self.app.vault.submit(  # type: ignore[attr-defined]
            sign_in,
            request,
            remember,
            self.profile,
            store,
            to=self,
            done=SignInScreen.Succeeded,
            failed=SignInScreen.Failed,
            action="signing in",
            key="sign-in",
        )

    @on(Succeeded)
    def _succeeded(self, message: Succeeded) -> None:
        outcome = message.outcome
        self.busy = False
        if outcome.remembered:
            self.app.notify(f"Remembered the {outcome.remembered} in the keyring for profile {visible(self.profile)}.", markup=False)
        elif outcome.keyring_note:
            self.app.notify(f"Signed in, but not remembered: {visible(outcome.keyring_note)}", severity="warning", markup=False, timeout=8)
        self.dismiss((outcome.result.client_token, outcome.result.token))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.last_error = message.error
        self.query_one("#submit", Button).disabled = False
        for name in SECRET_FIELDS:
            self.query_one(f"#{name}", Input).value = ""
        self._show_error(f"{message.error.title}: {message.error}")
        self._focus_first_empty()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
