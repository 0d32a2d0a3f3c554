"""The lease dashboard's side panel: the highlighted lease (or prefix), the credentials this
session issued for it, and the activity log.

It only renders: the screen tells it what to show. It scrolls (at 80x24 the whole of a long
explanation may not fit) and shows focus like every focusable widget. A clock tick repaints only
the one-line TTL, so nothing re-lays out every second and nothing is ever cut off by a stale
height: every other change re-lays out the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...safe import mask, visible
from ...vault.leases import IssuedCredentials, Lease
from .model import Level, Row, format_time, format_ttl, ttl_level

LEVEL_COLOUR = {Level.WARN: "yellow", Level.CRITICAL: "red", Level.EXPIRED: "red", Level.OK: "green"}


@dataclass(frozen=True)
class LeaseFacts:
    """What the panel shows for one lease."""

    lease_id: str
    lease: Lease | None
    error: str | None = None
    kept_alive: bool = False
    creds: IssuedCredentials | None = None
    revealed: bool = False


def head_text(row: Row | None, facts: LeaseFacts | None) -> Text:
    if facts is not None:
        text = Text()
        text.append("Lease\n", style="bold")
        text.append(visible(facts.lease_id))
        return text
    if row is None:
        return Text("No leases.", style="dim")
    text = Text()
    text.append("Prefix\n", style="bold")
    text.append(visible(row.key) + "\n")
    text.append(f"{row.total:,} lease(s) listed\n\n")
    text.append("enter: open/close · P: revoke everything under this prefix", style="dim")
    return text


def ttl_text(facts: LeaseFacts | None, now: datetime, warn: float, critical: float) -> Text:
    if facts is None or facts.lease is None:
        return Text("")
    remaining = facts.lease.remaining(now)
    colour = LEVEL_COLOUR.get(ttl_level(remaining, warn, critical), "")
    text = Text("TTL       ")
    text.append(format_ttl(remaining), style=f"bold {colour}".strip())
    return text


def facts_text(facts: LeaseFacts | None) -> Text:
    if facts is None:
        return Text("")
    lease = facts.lease
    if lease is None:
        if facts.error:
            return Text(visible(facts.error), style="red")
        return Text("looking up…", style="dim")
    text = Text()
    text.append(f"expires   {format_time(lease.expire_time)}\n")
    text.append(f"issued    {format_time(lease.issue_time)}\n")
    text.append(f"renewed   {format_time(lease.last_renewal)}\n")
    text.append(f"renewable {'yes' if lease.renewable else 'no'}")
    if not lease.renewable:
        text.append("\n" + lease.not_renewable_reason, style="dim")
    if facts.kept_alive:
        text.append("\nkept alive (renewed at 2/3 of its TTL)", style="green")
    return text


def creds_text(facts: LeaseFacts | None) -> Text:
    creds = facts.creds if facts is not None else None
    if creds is None:
        return Text("")
    text = Text()
    text.append("Issued this session\n", style="bold")
    if facts is not None and facts.revealed:
        text.append("username  ")
        text.append(visible(creds.username), style="bold")
        text.append("\npassword  ")
        text.append(visible(creds.password), style="bold")
        text.append("\nv: hide · u / p: copy", style="dim")
    else:
        text.append(f"username  {mask(creds.username)}\n")
        text.append(f"password  {mask(creds.password)}\n")
        text.append("v: reveal · u / p: copy", style="dim")
    return text


def activity_text(lines: list[str]) -> Text:
    text = Text()
    text.append("Activity\n", style="bold")
    text.append("\n".join(lines))
    return text


class LeaseSide(VerticalScroll):
    """Detail, credentials and activity of the lease dashboard (see the module docstring)."""

    def __init__(self, *, warn_seconds: float = 300, critical_seconds: float = 60, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.warn_seconds = warn_seconds
        self.critical_seconds = critical_seconds
        self.facts: LeaseFacts | None = None
        self._shown: tuple[Text, Text, Text] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="lease-head", markup=False)
        yield Static("", id="lease-ttl", markup=False)
        yield Static("", id="lease-facts", markup=False)
        yield Static("", id="lease-creds", markup=False)
        yield Static("", id="lease-activity", markup=False)

    def show(self, row: Row | None, facts: LeaseFacts | None, now: datetime) -> None:
        """Show a prefix (``facts`` None) or a lease."""
        self.facts = facts
        parts = (head_text(row, facts), facts_text(facts), creds_text(facts))
        if parts != self._shown:
            self._shown = parts
            head, body, creds = parts
            self.query_one("#lease-head", Static).update(head)
            self.query_one("#lease-facts", Static).update(body)
            self.query_one("#lease-creds", Static).update(creds)
            self.query_one("#lease-creds", Static).display = bool(creds.plain)
        self.tick(now)

    def tick(self, now: datetime) -> None:
        """Repaint the TTL (one line, fixed height: no re-layout)."""
        ttl = self.query_one("#lease-ttl", Static)
        text = ttl_text(self.facts, now, self.warn_seconds, self.critical_seconds)
        ttl.display = bool(text.plain)
        ttl.update(text, layout=False)

    def activity(self, lines: list[str]) -> None:
        self.query_one("#lease-activity", Static).update(activity_text(lines))
