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

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..context import vault_app
from ..credentials import CredentialError, CredentialStore
from ..safe import visible
from ..vault.auth import AUTH_METHOD, AUTH_METHODS, DEFAULT_K8S_JWT_PATH, AuthField, LoginRequest, LoginResult, login
from ..vault.errors import VaultError
from ..vault.gateway import Gateway
from ..vault.models import TokenInfo
from ..worker import Call
from .modals import Dialog

# Every field any method has, in form order (a field shared by methods is one input).
FIELDS: tuple[AuthField, ...] = tuple({f.name: f for m in AUTH_METHODS for f in m.fields}.values())
SECRET_FIELDS = tuple(f.name for f in FIELDS if f.secret)


def field_of(method: str, name: str) -> AuthField | None:
    spec = AUTH_METHOD.get(method)
    return next((f for f in spec.fields if f.name == name), None) if spec else None


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
        if AUTH_METHOD[result.method].remembers == "secret_id" and result.secret_id:
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


class SignInScreen(Dialog[tuple[str, TokenInfo] | None]):
    """Sign in with any auth method. Dismisses with ``(client_token, TokenInfo)`` or None."""

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
        return getattr(vault_app(self).config, "profile", None) or "default"

    def _default(self, name: str, fallback: str = "") -> str:
        value = getattr(vault_app(self).config, name, None)
        return str(value) if value else fallback

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        config = vault_app(self).config
        connection = config.connection
        method = self._default("auth_method", "token")
        if method not in AUTH_METHOD:
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
                    Text("⚠ TLS verification is OFF: anyone on the network path can read what you type.", style="bold"),
                    id="signin-tls-warning",
                )
            with Horizontal(classes="signin-row"):
                yield Label("Method", classes="signin-label")
                yield Select([(m.label, m.name) for m in AUTH_METHODS], value=method, allow_blank=False, id="method")
            with Horizontal(classes="signin-row"):
                yield Label("Mount path", classes="signin-label")
                yield Input(
                    value=self._default("auth_mount"), placeholder=AUTH_METHOD[method].default_mount, id="mount"
                )
            for field in FIELDS:
                own = field_of(method, field.name)
                with Horizontal(classes="signin-row", id=f"row-{field.name}") as row:
                    row.display = own is not None
                    yield Label((own or field).label, classes="signin-label", id=f"label-{field.name}")
                    value = (
                        self._default(f"auth_{field.profile_key}", field.default)
                        if field.profile_key
                        else field.default
                    )
                    yield Input(value=value, password=field.secret, id=field.name)
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
        for field in AUTH_METHOD[self.method].fields:
            if field.name:
                widget = self.query_one(f"#{field.name}", Input)
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
        for field in FIELDS:
            own = field_of(method, field.name)
            self.query_one(f"#row-{field.name}").display = own is not None
            if own is not None:
                self.query_one(f"#label-{field.name}", Label).update(own.label)
        self.query_one("#mount", Input).placeholder = AUTH_METHOD[method].default_mount
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
        self.query_one("#signin-error", Static).update(
            Text(visible(text, multiline=True), style="bold red") if text else ""
        )

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
            self.app.call_from_thread(
                self._submit_request, request, False, "Signing in with the remembered AppRole secret ID…"
            )

    # -- submit -----------------------------------------------------------------------------------
    def collect(self) -> LoginRequest:
        values = {field.name: self.query_one(f"#{field.name}", Input).value for field in FIELDS}
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
        vault_app(self).worker.submit(
            Call(sign_in, request, remember, self.profile, store),
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
            self.app.notify(
                f"Remembered the {outcome.remembered} in the keyring for profile {visible(self.profile)}.", markup=False
            )
        elif outcome.keyring_note:
            self.app.notify(
                f"Signed in, but not remembered: {visible(outcome.keyring_note)}",
                severity="warning",
                markup=False,
                timeout=8,
            )
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
