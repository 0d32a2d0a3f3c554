"""The cluster view's rows, computed without Textual from a :class:`~vault_tui.vault.ha_models.ClusterOverview`."""

from __future__ import annotations

from dataclasses import dataclass

from ...vault.ha_models import ClusterNode, ClusterOverview

COLUMNS: tuple[tuple[str, str], ...] = (
    ("address", "Address"),
    ("node_id", "Node"),
    ("role", "Role"),
    ("state", "State"),
    ("version", "Version"),
    ("voter", "Voter"),
    ("healthy", "Healthy"),
    ("contact", "Last contact"),
    ("index", "Index"),
)

ROLE_ORDER = {"leader": 0, "follower": 1, "standby": 2, "non-voter": 3}


@dataclass(frozen=True)
class Row:
    key: str  # stable across refreshes: the node's address (or its Raft id)
    cells: dict[str, str]
    style: str  # "ok", "warn", "bad" or "dim": how the row's state reads
    current: bool = False  # the node vault-tui talks to


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def row_key(node: ClusterNode) -> str:
    return node.address or f"raft:{node.node_id or node.cluster_address}"


def node_style(node: ClusterNode) -> str:
    if node.reachable is False or node.state in ("unreachable", "sealed", "uninitialized"):
        return "bad"
    if node.healthy is False or node.problem:
        return "warn"
    if node.reachable is None and node.state == "unknown":
        return "dim"
    return "ok"


def rows(overview: ClusterOverview, current_addr: str = "") -> list[Row]:
    """One row per node, leader first, then followers/standbys, then the rest by address."""
    out: list[Row] = []
    current = current_addr.rstrip("/")
    for node in sorted(overview.nodes, key=lambda n: (ROLE_ORDER.get(n.role, 9), n.address or n.node_id)):
        contact = node.last_contact
        if not contact and node.last_contact_seconds is not None:
            contact = f"{node.last_contact_seconds:.1f}s"
        cells = {
            "address": node.address or "(not reachable by API)",
            "node_id": node.node_id or "—",
            "role": node.role,
            "state": node.state,
            "version": node.version or "—",
            "voter": _yes_no(node.voter),
            "healthy": _yes_no(node.healthy),
            "contact": contact or "—",
            "index": "—" if node.last_index is None else str(node.last_index),
        }
        out.append(
            Row(row_key(node), cells, node_style(node), bool(node.address) and node.address.rstrip("/") == current)
        )
    return out


def summary(overview: ClusterOverview) -> str:
    """One line: HA on/off, the leader, autopilot's verdict and how many failures it can take."""
    if not overview.ha_enabled:
        return "HA is not enabled: this is a single node."
    parts = [f"leader {overview.leader_address or 'unknown (election in progress?)'}"]
    if overview.healthy is not None:
        parts.append("autopilot: healthy" if overview.healthy else "autopilot: NOT healthy")
    if overview.failure_tolerance is not None:
        parts.append(f"can lose {overview.failure_tolerance} node(s)")
    voters = sum(1 for n in overview.nodes if n.voter)
    if voters:
        parts.append(f"{voters} voter(s)")
    return " · ".join(parts)
