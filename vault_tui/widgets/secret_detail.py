"""The secret-version detail pane (interface stub; the full pane replaces this)."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from ..safe import visible
from ..vault.models import Mount


class SecretDetail(Static):
    class SecretWritten(Message):
        """A secret was created or changed: the tree refreshes its folder."""

        def __init__(self, mount: Mount, path: str) -> None:
            super().__init__()
            self.mount = mount
            self.path = path

    class SecretDeleted(Message):
        def __init__(self, mount: Mount, path: str) -> None:
            super().__init__()
            self.mount = mount
            self.path = path

    def __init__(self, **kwargs) -> None:
        super().__init__("Select a secret.", markup=False, **kwargs)
        self.mount: Mount | None = None
        self.path: str = ""

    def show_secret(self, mount: Mount, path: str) -> None:
        self.mount, self.path = mount, path
        self.update(Text(f"{visible(mount.path)}{visible(path)}"))

    def show_folder(self, mount: Mount, folder: str) -> None:
        self.mount, self.path = mount, folder
        self.update(Text(f"{visible(mount.path)}{visible(folder)} (folder)"))

    def show_mount(self, mount: Mount) -> None:
        self.mount, self.path = mount, ""
        self.update(Text(f"{visible(mount.path)} — {mount.kind_label}"))

    def new_secret(self, mount: Mount, folder: str) -> None:
        self.notify("Creating secrets is not available yet.", markup=False)

    def clear(self) -> None:
        self.mount, self.path = None, ""
        self.update("Select a secret.")
