"""HA cluster models: node health, the node choice, the leader, HA status, Raft peers, autopilot and the
merged cluster overview (frozen dataclasses; the calls that build them are in :mod:`.ha`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


# -- models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeHealth:
    """One node's ``sys/health``, or why it could not be read."""

    addr: str
    reachable: bool
    initialized: bool = False
    sealed: bool = False
    standby: bool = False
    active: bool = False
    version: str = ""
    cluster_name: str = ""
    cluster_id: str = ""
    server_time: datetime | None = None
    problem: str = ""  # one plain sentence when the node is unreachable or odd, else ""
    status: int | None = None  # the HTTP status sys/health answered with
    performance_standby: bool = False
    # The active node's API address: the node itself when it is active, else what a standby's
    # sys/leader reports ("" when unknown, sealed or unreachable).
    leader_addr: str = ""

    @property
    def state(self) -> str:
        """ "active", "standby", "sealed", "uninitialized", "unreachable" or "unknown"."""
        if not self.reachable:
            return "unreachable"
        if not self.initialized:
            return "uninitialized"
        if self.sealed:
            return "sealed"
        if self.active:
            return "active"
        if self.standby:
            return "standby"
        return "unknown"

    @property
    def usable(self) -> bool:
        """Answering, initialised and unsealed: a client can work through it."""
        return self.reachable and self.initialized and not self.sealed


@dataclass(frozen=True)
class NodeChoice:
    """The node :func:`choose_node` picked (``addr``), or None with ``reason`` saying why none."""

    addr: str | None
    reason: str
    probes: tuple[NodeHealth, ...]
    health: NodeHealth | None = None

    @property
    def ok(self) -> bool:
        return self.addr is not None

    @property
    def problem(self) -> str:
        """Why no node was chosen ("" when one was)."""
        return "" if self.addr is not None else self.reason

    @property
    def active(self) -> bool:
        return self.health is not None and self.health.active


@dataclass(frozen=True)
class LeaderInfo:
    """``sys/leader`` of the node asked."""

    ha_enabled: bool
    is_self: bool
    leader_address: str
    leader_cluster_address: str = ""
    active_time: datetime | None = None
    performance_standby: bool = False
    raft_committed_index: int | None = None
    raft_applied_index: int | None = None


@dataclass(frozen=True)
class HANode:
    """One entry of ``sys/ha-status``."""

    hostname: str
    api_address: str
    cluster_address: str
    active_node: bool
    last_echo: datetime | None = None
    version: str = ""
    upgrade_version: str = ""


@dataclass(frozen=True)
class RaftServer:
    """One peer of ``sys/storage/raft/configuration``."""

    node_id: str
    address: str  # the cluster address, host:port
    leader: bool
    voter: bool
    protocol_version: str = ""


@dataclass(frozen=True)
class RaftConfiguration:
    servers: tuple[RaftServer, ...]
    index: int | None = None


@dataclass(frozen=True)
class AutopilotServer:
    """One server of ``sys/storage/raft/autopilot/state``."""

    node_id: str
    name: str
    address: str  # the cluster address, host:port
    status: str  # "leader", "voter", "non-voter", ...
    node_status: str  # "alive", "left", "failed", ...
    healthy: bool
    last_contact: str  # as reported, e.g. "1.2s"
    last_contact_seconds: float | None
    last_index: int | None
    last_term: int | None
    version: str
    node_type: str  # "voter", "non-voter", ...
    stable_since: datetime | None = None

    @property
    def voter(self) -> bool:
        return self.status in ("leader", "voter")


@dataclass(frozen=True)
class AutopilotState:
    healthy: bool
    failure_tolerance: int | None
    leader: str  # node id
    voters: tuple[str, ...]
    servers: tuple[AutopilotServer, ...]


@dataclass(frozen=True)
class Unreadable:
    """A part of the cluster state this token or server cannot give, with the reason.

    ``kind`` is "permission" (a 403: ``needs`` is "read" or "sudo"), "unsupported" (e.g. no Raft
    storage) or "error" (the call failed otherwise).
    """

    path: str
    what: str  # "Raft peers", "Autopilot state", "HA status"
    kind: str
    message: str  # one plain sentence for the user
    needs: str = ""


@dataclass(frozen=True)
class ClusterNode:
    """One row of the cluster view, merged from every source that knew about the node."""

    address: str  # API address, "" when only known from Raft (no readable sys/ha-status)
    node_id: str = ""
    cluster_address: str = ""  # host:port
    role: str = "unknown"  # "leader", "follower", "standby", "non-voter" or "unknown"
    state: str = "unknown"  # from sys/health: active / standby / sealed / uninitialized / unreachable
    version: str = ""
    sealed: bool | None = None
    reachable: bool | None = None
    voter: bool | None = None
    healthy: bool | None = None
    last_contact: str = ""
    last_contact_seconds: float | None = None
    last_index: int | None = None
    configured: bool = False  # one of the addresses the profile lists
    problem: str = ""


@dataclass(frozen=True)
class ClusterOverview:
    nodes: tuple[ClusterNode, ...]
    ha_enabled: bool
    leader_address: str
    healthy: bool | None  # autopilot's verdict, None when unreadable
    failure_tolerance: int | None
    notes: tuple[str, ...]  # plain sentences: what could not be read, and why
    probes: tuple[NodeHealth, ...] = ()
    leader: LeaderInfo | None = None
    ha_nodes: tuple[HANode, ...] | Unreadable = ()
    raft: RaftConfiguration | Unreadable | None = None
    autopilot: AutopilotState | Unreadable | None = None
    # (API address, cluster address) pairs learned so far: pass them back as ``known`` on the
    # next refresh, so a node that stopped answering keeps its one row.
    address_pairs: tuple[tuple[str, str], ...] = ()

    @property
    def address_map(self) -> dict[str, str]:
        return dict(self.address_pairs)
