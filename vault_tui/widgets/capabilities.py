"""What can I do here: the token's capabilities for a path, and which actions they allow.

Attributes down, messages up: the owner calls :meth:`CapabilitiesPanel.show_secret` (a KV secret:
one ``sys/capabilities-self`` call for every action) or :meth:`CapabilitiesPanel.show_path` (any
API path). The panel asks the worker, renders the answer as plain text and posts
:class:`CapabilitiesPanel.Loaded` so the owner can grey out forbidden actions (use
``SecretPermissions.get(action).reason`` as the explanation).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Static

from ..context import vault_app
from ..safe import visible
from ..vault.errors import VaultError
from ..vault.models import Capabilities, EngineKind
from ..vault.policies import SecretPermissions, capabilities, secret_permissions
from ..worker import Call


def render_permissions(permissions: SecretPermissions) -> Text:
    text = Text(no_wrap=False, end="")
    text.append("What you can do here\n", style="bold")
    for permission in permissions.permissions:
        if permission.allowed:
            text.append("  ✓ ", style="green")
            text.append(permission.action)
        else:
            text.append("  ✗ ", style="red")
            text.append(permission.action, style="dim")
            text.append(f"  {visible(permission.reason)}", style="dim")
        text.append("\n")
    for caps in permissions.capabilities:
        text.append(f"  {visible(caps.path)}: ", style="dim")
        text.append(visible(", ".join(caps.capabilities) or "none"), style="cyan")
        text.append("\n")
    text.rstrip()
    return text


def render_capabilities(caps: Capabilities) -> Text:
    text = Text(end="")
    text.append("Capabilities on ", style="bold")
    text.append(visible(caps.path), style="bold")
    text.append(": ")
    shown = ", ".join(caps.capabilities) or "none"
    text.append(visible(shown), style="red" if shown in ("none", "deny") else "cyan")
    return text


class CapabilitiesPanel(Static):
    """Shows the current token's capabilities; the secret detail pane embeds it."""

    DEFAULT_CSS = """
    CapabilitiesPanel { height: auto; padding: 0 1; color: $text; }
    CapabilitiesPanel.-error { color: $error; }
    """

    class Loaded(Message):
        """``permissions`` is a SecretPermissions (show_secret) or Capabilities (show_path)."""

        def __init__(self, panel: CapabilitiesPanel, permissions: Any) -> None:
            super().__init__()
            self.panel = panel
            self.permissions = permissions

        @property
        def control(self) -> CapabilitiesPanel:
            return self.panel

    class Answered(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Refused(Message):
        def __init__(self, error: VaultError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes=classes)
        self.result: Any = None
        self.error: VaultError | None = None

    @property
    def _key(self) -> str:
        return f"capabilities:{id(self)}"

    def show_secret(self, kind: EngineKind, mount: str, path: str) -> None:
        self._ask(secret_permissions, kind, mount, path)

    def show_path(self, api_path: str) -> None:
        self._ask(capabilities, api_path)

    def clear(self) -> None:
        vault_app(self).worker.cancel_key(self._key)
        self.result = None
        self.update("")

    def _ask(self, fn: Any, *args: Any) -> None:
        self.remove_class("-error")
        self.update(Text("checking capabilities…", style="dim"))
        vault_app(self).worker.submit(
            Call(fn, *args),
            to=self,
            done=CapabilitiesPanel.Answered,
            failed=CapabilitiesPanel.Refused,
            action="checking capabilities",
            key=self._key,
        )

    @on(Answered)
    def _answered(self, message: CapabilitiesPanel.Answered) -> None:
        message.stop()
        self.result = message.result
        self.error = None
        if isinstance(message.result, SecretPermissions):
            self.update(render_permissions(message.result))
        else:
            self.update(render_capabilities(message.result))
        self.post_message(CapabilitiesPanel.Loaded(self, message.result))

    @on(Refused)
    def _refused(self, message: CapabilitiesPanel.Refused) -> None:
        message.stop()
        self.error = message.error
        self.add_class("-error")
        self.update(Text(f"capabilities unknown: {visible(message.error)}"))
