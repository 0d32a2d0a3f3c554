"""HA clusters: node health, choosing a node, the leader, HA status, Raft peers and autopilot.

Plain, synchronous functions for the app's worker threads (no Textual here).

* :func:`probe_health` / :func:`probe_all` / :func:`choose_node` take :class:`ConnectionSettings`
  and addresses, need no token and never raise for a dead node: they are what failover runs
  when the current node stopped answering.
* :func:`leader`, :func:`ha_status`, :func:`raft_configuration`, :func:`autopilot_state` and
  :func:`cluster_overview` take a :class:`Gateway`. The three that need a permission the token may
  lack return an :class:`Unreadable` (which path, which capability is missing, one plain sentence)
  instead of raising, so one 403 never kills the cluster view.

Addresses the cluster itself reports (``sys/leader``, ``sys/ha-status``) are added to the
gateway's trusted nodes (:meth:`Gateway.trust_cluster_addrs`), so a redirect to them keeps the
token.

OpenBao (2.x) behaviour these functions were written against, see also
:mod:`vault_tui.demo.cluster`: a standby serves reads itself and forwards writes to the active
node; with ``X-Vault-No-Request-Forwarding`` (or when forwarding fails, e.g. during an election)
it answers 307 to the active node's ``api_addr``. ``sys/health`` answers 200 on the active node,
429 on a standby, 473 on a performance standby, 501 when not initialised and 503 when sealed.
The Raft endpoints need ``read`` (not ``sudo``) on OpenBao; ``sys/ha-status`` needs ``read``.

The models (:class:`~.ha_models.NodeHealth`, :class:`~.ha_models.ClusterOverview`, ...) are in
:mod:`vault_tui.vault.ha_models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .client import ConnectionSettings, build_client, origin_of
from .errors import NotFound, PermissionDenied, VaultError, host_port, map_exception
from .ha_models import (
    AutopilotServer,
    AutopilotState,
    ClusterNode,
    ClusterOverview,
    HANode,
    LeaderInfo,
    NodeChoice,
    NodeHealth,
    RaftConfiguration,
    RaftServer,
    Unreadable,
)
from .models import parse_time

if TYPE_CHECKING:
    from .gateway import Gateway

HEALTH_PATH = "sys/health"
LEADER_PATH = "sys/leader"
HA_STATUS_PATH = "sys/ha-status"
RAFT_CONFIG_PATH = "sys/storage/raft/configuration"
AUTOPILOT_STATE_PATH = "sys/storage/raft/autopilot/state"

# sys/health status codes (without standbyok / sealedcode overrides).
_HEALTH_CODES = {
    200: "active",
    429: "standby",
    472: "dr-secondary",
    473: "performance-standby",
    501: "uninitialized",
    503: "sealed",
}


# -- health probes (no token) -------------------------------------------------------------------
def health_from_response(addr: str, response: Any) -> NodeHealth:
    """Decode a ``sys/health`` answer (hvac gives a dict for 200, a Response otherwise)."""
    status = 200 if isinstance(response, dict) else getattr(response, "status_code", None)
    body: Any = response
    if not isinstance(response, dict):
        try:
            body = response.json()
        except Exception:  # noqa: BLE001 - a non-JSON body is decoded from the status alone
            body = {}
    if not isinstance(body, dict):
        body = {}
    code_state = _HEALTH_CODES.get(status or 0, "")
    initialized = bool(body.get("initialized", code_state != "uninitialized"))
    sealed = bool(body.get("sealed", code_state in ("sealed", "uninitialized")))
    perf_standby = bool(body.get("performance_standby", code_state == "performance-standby"))
    standby = bool(body.get("standby", code_state in ("standby", "performance-standby")))
    problem = ""
    if not body and not code_state:
        problem = f"{host_port(addr)} answered sys/health with HTTP {status} and no health data"
    active = initialized and not sealed and not standby and not problem
    server_time = None
    utc = body.get("server_time_utc")
    if isinstance(utc, (int, float)) and not isinstance(utc, bool) and utc > 0:
        server_time = datetime.fromtimestamp(utc, tz=UTC)
    return NodeHealth(
        addr=addr,
        reachable=True,
        initialized=initialized,
        sealed=sealed,
        standby=standby,
        active=active,
        version=str(body.get("version") or ""),
        cluster_name=str(body.get("cluster_name") or ""),
        cluster_id=str(body.get("cluster_id") or ""),
        server_time=server_time,
        problem=problem,
        status=status,
        performance_standby=perf_standby,
    )


def health_with_client(client: Any, addr: str, timeout: float) -> NodeHealth:
    """``sys/health`` through an existing hvac client (plus ``sys/leader`` on a standby, for
    :attr:`NodeHealth.leader_addr`); never raises."""
    try:
        response = client.adapter.request("GET", "/v1/sys/health", raise_exception=False, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - mapped to one sentence
        error = exc if isinstance(exc, VaultError) else map_exception(exc, HEALTH_PATH)
        return NodeHealth(addr=addr, reachable=False, problem=error.message)
    health = health_from_response(addr, response)
    if health.active:
        return replace(health, leader_addr=addr)
    if health.usable and health.standby:
        try:
            body = client.adapter.request("GET", "/v1/sys/leader", raise_exception=False, timeout=timeout)
        except Exception:  # noqa: BLE001 - the leader is a hint; the node's own health stands
            return health
        if isinstance(body, dict) and isinstance(body.get("leader_address"), str):
            return replace(health, leader_addr=_norm(body["leader_address"]))
    return health


def probe_health(settings: ConnectionSettings, addr: str, timeout: float = 2.0) -> NodeHealth:
    """One unauthenticated ``GET sys/health`` to ``addr`` with ``settings``' TLS options (and,
    on a standby only, ``GET sys/leader`` for :attr:`NodeHealth.leader_addr`).

    Never raises: an unreachable node gives ``reachable=False`` and a one-sentence ``problem``.
    """
    probe_settings = replace(settings, addr=addr, token=None, namespace=None, timeout=timeout)
    try:
        client = build_client(probe_settings)
    except Exception as exc:  # noqa: BLE001 - e.g. an invalid address
        error = exc if isinstance(exc, VaultError) else map_exception(exc, HEALTH_PATH)
        return NodeHealth(addr=addr, reachable=False, problem=error.message)
    try:
        return health_with_client(client, addr, timeout)
    finally:
        try:
            client.adapter.close()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass


def probe_all(settings: ConnectionSettings, addrs: Iterable[str], timeout: float = 2.0) -> tuple[NodeHealth, ...]:
    """:func:`probe_health` of every address at once, in the order given (duplicates dropped)."""
    unique = list(dict.fromkeys(a.strip().rstrip("/") for a in addrs if a and a.strip()))
    if not unique:
        return ()
    if len(unique) == 1:
        return (probe_health(settings, unique[0], timeout),)
    with ThreadPoolExecutor(max_workers=min(8, len(unique)), thread_name_prefix="vault-tui-probe") as pool:
        return tuple(pool.map(lambda a: probe_health(settings, a, timeout), unique))


def choose_node(
    settings: ConnectionSettings,
    addrs: Sequence[str],
    leader_hint: str | None = None,
    timeout: float = 2.0,
) -> NodeChoice:
    """The node to work through: the active one, else the first unsealed standby, else none.

    ``leader_hint`` (e.g. ``sys/leader``'s ``leader_address``) wins among several active nodes.
    When no listed node is active but a standby answers, its ``sys/leader`` is asked for the
    active node, which is probed too and chosen if it is active (the cluster may have more nodes
    than the profile lists). Never raises.
    """
    probes = list(probe_all(settings, addrs, timeout))
    known = {_norm(p.addr) for p in probes}
    if leader_hint and _norm(leader_hint) not in known:
        probes.append(probe_health(settings, _norm(leader_hint), timeout))
    active = [p for p in probes if p.active]
    if leader_hint:
        active.sort(key=lambda p: _norm(p.addr) != _norm(leader_hint))
    if active:
        pick = active[0]
        return NodeChoice(pick.addr, f"{host_port(pick.addr)} is the active node", tuple(probes), pick)
    standbys = [p for p in probes if p.usable]
    if standbys:
        learned = standbys[0].leader_addr
        if learned and _norm(learned) not in {_norm(p.addr) for p in probes}:
            extra = probe_health(settings, _norm(learned), timeout)
            probes.append(extra)
            if extra.active:
                reason = f"{host_port(extra.addr)} is the active node (reported by {host_port(standbys[0].addr)})"
                return NodeChoice(extra.addr, reason, tuple(probes), extra)
        pick = standbys[0]
        return NodeChoice(
            pick.addr,
            f"no active node answered; {host_port(pick.addr)} is an unsealed standby",
            tuple(probes),
            pick,
        )
    return NodeChoice(None, _why_none(probes), tuple(probes), None)


def _why_none(probes: Sequence[NodeHealth]) -> str:
    if not probes:
        return "no server address is configured"
    total = len(probes)
    down = [p for p in probes if not p.reachable]
    sealed = [p for p in probes if p.reachable and p.sealed and p.initialized]
    uninit = [p for p in probes if p.reachable and not p.initialized]
    if len(down) == total:
        if total == 1:
            return down[0].problem or f"cannot reach {host_port(down[0].addr)}"
        details = "; ".join(p.problem or f"cannot reach {host_port(p.addr)}" for p in down)
        return f"none of the {total} nodes answered ({details})"
    if len(sealed) == total:
        return "the node is sealed" if total == 1 else f"all {total} nodes are sealed"
    if len(uninit) == total:
        return "the server is not initialised" if total == 1 else f"all {total} nodes are not initialised"
    parts = []
    if sealed:
        parts.append(f"{len(sealed)} sealed")
    if uninit:
        parts.append(f"{len(uninit)} not initialised")
    if down:
        parts.append(f"{len(down)} unreachable")
    other = total - len(sealed) - len(uninit) - len(down)
    if other:
        parts.append(f"{other} not usable")
    return f"no node is unsealed and answering ({', '.join(parts)})"


def _norm(addr: str) -> str:
    return addr.strip().rstrip("/")


# -- authenticated views of the cluster -------------------------------------------------------
def leader(gateway: Gateway) -> LeaderInfo:
    """``sys/leader`` of the current node (unauthenticated). The leader's address is trusted."""
    body = gateway.request("GET", LEADER_PATH) or {}
    info = LeaderInfo(
        ha_enabled=bool(body.get("ha_enabled")),
        is_self=bool(body.get("is_self")),
        leader_address=str(body.get("leader_address") or ""),
        leader_cluster_address=str(body.get("leader_cluster_address") or ""),
        active_time=parse_time(body.get("active_time")),
        performance_standby=bool(body.get("performance_standby")),
        raft_committed_index=_int(body.get("raft_committed_index")),
        raft_applied_index=_int(body.get("raft_applied_index")),
    )
    if info.leader_address:
        gateway.trust_cluster_addrs([info.leader_address])
    return info


def ha_status(gateway: Gateway) -> tuple[HANode, ...]:
    """``sys/ha-status``: every node the active node hears from. Their addresses are trusted.

    Raises :class:`PermissionDenied` without ``read`` on ``sys/ha-status``."""
    body = gateway.request("GET", HA_STATUS_PATH) or {}
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    raw_nodes = data.get("nodes") if isinstance(data, dict) else None
    nodes = []
    for raw in raw_nodes if isinstance(raw_nodes, list) else ():
        if not isinstance(raw, dict):
            continue
        nodes.append(
            HANode(
                hostname=str(raw.get("hostname") or ""),
                api_address=str(raw.get("api_address") or ""),
                cluster_address=str(raw.get("cluster_address") or ""),
                active_node=bool(raw.get("active_node")),
                last_echo=parse_time(raw.get("last_echo")),
                version=str(raw.get("version") or ""),
                upgrade_version=str(raw.get("upgrade_version") or ""),
            )
        )
    gateway.trust_cluster_addrs(n.api_address for n in nodes if n.api_address)
    return tuple(nodes)


def raft_configuration(gateway: Gateway) -> RaftConfiguration | Unreadable:
    """Raft peers from ``sys/storage/raft/configuration``, or why they cannot be read."""
    try:
        body = gateway.request("GET", RAFT_CONFIG_PATH)
    except VaultError as error:
        return _unreadable(gateway, RAFT_CONFIG_PATH, "Raft peers", error)
    data = gateway.data(body, RAFT_CONFIG_PATH)
    config = data.get("config")
    if not isinstance(config, dict):
        config = {}
    servers = []
    for raw in config.get("servers") or ():
        if not isinstance(raw, dict):
            continue
        servers.append(
            RaftServer(
                node_id=str(raw.get("node_id") or ""),
                address=str(raw.get("address") or ""),
                leader=bool(raw.get("leader")),
                voter=bool(raw.get("voter")),
                protocol_version=str(raw.get("protocol_version") or ""),
            )
        )
    return RaftConfiguration(servers=tuple(servers), index=_int(config.get("index")))


def autopilot_state(gateway: Gateway) -> AutopilotState | Unreadable:
    """Autopilot's view from ``sys/storage/raft/autopilot/state``, or why it cannot be read."""
    try:
        body = gateway.request("GET", AUTOPILOT_STATE_PATH)
    except VaultError as error:
        return _unreadable(gateway, AUTOPILOT_STATE_PATH, "Autopilot state", error)
    data = gateway.data(body, AUTOPILOT_STATE_PATH)
    raw_servers = data.get("servers")
    if not isinstance(raw_servers, dict):
        raw_servers = {}
    servers = []
    for key, raw in sorted(raw_servers.items()):
        if not isinstance(raw, dict):
            continue
        last_contact = str(raw.get("last_contact") or "")
        servers.append(
            AutopilotServer(
                node_id=str(raw.get("id") or key),
                name=str(raw.get("name") or key),
                address=str(raw.get("address") or ""),
                status=str(raw.get("status") or ""),
                node_status=str(raw.get("node_status") or ""),
                healthy=bool(raw.get("healthy")),
                last_contact=last_contact,
                last_contact_seconds=parse_go_duration(last_contact),
                last_index=_int(raw.get("last_index")),
                last_term=_int(raw.get("last_term")),
                version=str(raw.get("version") or ""),
                node_type=str(raw.get("node_type") or ""),
                stable_since=parse_time(raw.get("stable_since")),
            )
        )
    voters = data.get("voters")
    return AutopilotState(
        healthy=bool(data.get("healthy")),
        failure_tolerance=_int(data.get("failure_tolerance")),
        leader=str(data.get("leader") or ""),
        voters=tuple(str(v) for v in voters) if isinstance(voters, list) else (),
        servers=tuple(servers),
    )


def _unreadable(gateway: Gateway, path: str, what: str, error: VaultError) -> Unreadable:
    if isinstance(error, PermissionDenied) and error.status == 403:
        needs = _missing_capability(gateway, path)
        if needs == "sudo":
            message = f"{what}: reading them needs sudo on {path}; this token may read it but has no sudo"
        else:
            message = f"{what}: reading them needs the read capability on {path}, which this token lacks"
        return Unreadable(path, what, "permission", message, needs)
    if isinstance(error, NotFound) or (error.status in (400, 404, 405) and "unsupported" in error.message):
        message = "This server does not use Raft storage, so there are no Raft peers or autopilot state"
        return Unreadable(path, what, "unsupported", message)
    return Unreadable(path, what, "error", f"{what} could not be read: {error.message}")


def _missing_capability(gateway: Gateway, path: str) -> str:
    """ "sudo" when the token may read ``path`` (so the 403 is about sudo), else "read"."""
    try:
        caps = set(gateway.capabilities_self([path]).get(path, ()))
    except VaultError:
        return "read"
    return "sudo" if ("read" in caps and "sudo" not in caps) else "read"


def cluster_overview(
    gateway: Gateway,
    addrs: Sequence[str] = (),
    timeout: float = 2.0,
    known: Mapping[str, str] | None = None,
) -> ClusterOverview:
    """Every node of the cluster in one row, merged from the profile's ``addrs``, ``sys/leader``,
    ``sys/ha-status``, the Raft configuration, autopilot and each node's ``sys/health``; plus
    plain notes on what the token could not read and why. Raises only when the current node
    itself cannot be reached (``sys/leader`` fails).

    Raft and autopilot name nodes by cluster address; ``sys/ha-status`` and ``sys/leader`` tie
    those to API addresses. ``known`` (the previous overview's :attr:`ClusterOverview.address_map`)
    keeps that tie for a node the active node no longer hears from; failing both, an API address
    and a Raft peer left over on the same host (and only those two) are taken to be one node."""
    notes: list[str] = []
    info = leader(gateway)
    if not info.ha_enabled:
        notes.append("HA is not enabled on this server: it is a single node")

    ha_nodes: tuple[HANode, ...] | Unreadable
    try:
        ha_nodes = ha_status(gateway)
    except VaultError as error:
        ha_nodes = _unreadable(gateway, HA_STATUS_PATH, "HA status", error)
    raft = raft_configuration(gateway) if info.ha_enabled else None
    pilot = autopilot_state(gateway) if info.ha_enabled else None
    for part in (ha_nodes, raft, pilot):
        if isinstance(part, Unreadable) and part.message not in notes:
            notes.append(part.message)

    configured = [_norm(a) for a in addrs if a and a.strip()] or [_norm(gateway.settings.addr)]
    ha_list = ha_nodes if isinstance(ha_nodes, tuple) else ()
    api_addrs = list(dict.fromkeys([*configured, *(_norm(n.api_address) for n in ha_list if n.api_address)]))
    if info.leader_address and _norm(info.leader_address) not in api_addrs:
        api_addrs.append(_norm(info.leader_address))
    probes = probe_all(gateway.settings, api_addrs, timeout)
    health_by_addr = {_origin_key(p.addr): p for p in probes}

    # API address <-> cluster address: remembered, then ha-status and sys/leader.
    cluster_of: dict[str, str] = {_origin_key(a): _strip_scheme(c) for a, c in (known or {}).items() if a and c}
    for node in ha_list:
        if node.api_address and node.cluster_address:
            cluster_of[_origin_key(node.api_address)] = _strip_scheme(node.cluster_address)
    if info.leader_address and info.leader_cluster_address:
        cluster_of[_origin_key(info.leader_address)] = _strip_scheme(info.leader_cluster_address)
    raft_by_cluster = {s.address: s for s in raft.servers} if isinstance(raft, RaftConfiguration) else {}
    pilot_by_cluster = {s.address: s for s in pilot.servers} if isinstance(pilot, AutopilotState) else {}
    peers = set(raft_by_cluster) | set(pilot_by_cluster)
    _pair_by_host(
        [_origin_key(a) for a in api_addrs if _origin_key(a) not in cluster_of],
        sorted(peers - set(cluster_of.values())),
        cluster_of,
    )
    api_of = {c: a for a, c in cluster_of.items()}
    ha_by_api = {_origin_key(n.api_address): n for n in ha_list if n.api_address}
    configured_keys = {_origin_key(a) for a in configured}

    rows: list[ClusterNode] = []
    seen_cluster: set[str] = set()
    for addr in api_addrs:
        key = _origin_key(addr)
        caddr = cluster_of.get(key, "")
        if caddr:
            seen_cluster.add(caddr)
        rows.append(
            _row(
                addr,
                caddr,
                health_by_addr.get(key),
                ha_by_api.get(key),
                raft_by_cluster.get(caddr),
                pilot_by_cluster.get(caddr),
                is_leader=bool(info.leader_address) and key == _origin_key(info.leader_address),
                configured=key in configured_keys,
            )
        )
    # Raft peers whose API address nobody told us (sys/ha-status unreadable, or the node is gone).
    for caddr in [*raft_by_cluster, *(c for c in pilot_by_cluster if c not in raft_by_cluster)]:
        if caddr in seen_cluster:
            continue
        seen_cluster.add(caddr)
        rows.append(
            _row(
                api_of.get(caddr, ""),
                caddr,
                None,
                None,
                raft_by_cluster.get(caddr),
                pilot_by_cluster.get(caddr),
                is_leader=False,
                configured=False,
            )
        )

    pairs = {a: c for a, c in cluster_of.items() if c in peers or a in health_by_addr}
    return ClusterOverview(
        address_pairs=tuple(sorted(pairs.items())),
        nodes=tuple(rows),
        ha_enabled=info.ha_enabled,
        leader_address=info.leader_address,
        healthy=pilot.healthy if isinstance(pilot, AutopilotState) else None,
        failure_tolerance=pilot.failure_tolerance if isinstance(pilot, AutopilotState) else None,
        notes=tuple(notes),
        probes=probes,
        leader=info,
        ha_nodes=ha_nodes,
        raft=raft,
        autopilot=pilot,
    )


def _pair_by_host(api_keys: list[str], peers: list[str], cluster_of: dict[str, str]) -> None:
    """Tie a leftover API address to a leftover Raft peer when each is the only one on its host."""

    def host(addr: str) -> str:
        return addr.split("://", 1)[-1].rsplit(":", 1)[0].lower()

    for api in api_keys:
        same_api = [a for a in api_keys if host(a) == host(api)]
        same_peer = [p for p in peers if host(p) == host(api)]
        if len(same_api) == 1 and len(same_peer) == 1:
            cluster_of[api] = same_peer[0]


def _row(
    addr: str,
    cluster_address: str,
    health: NodeHealth | None,
    ha_node: HANode | None,
    peer: RaftServer | None,
    pilot: AutopilotServer | None,
    *,
    is_leader: bool,
    configured: bool,
) -> ClusterNode:
    leader_now = is_leader or (peer is not None and peer.leader) or (pilot is not None and pilot.status == "leader")
    if health is not None and health.reachable and health.active:
        leader_now = True
    voter: bool | None = None
    if peer is not None:
        voter = peer.voter
    elif pilot is not None:
        voter = pilot.voter
    if leader_now:
        role = "leader"
    elif voter is False or (pilot is not None and pilot.status == "non-voter"):
        role = "non-voter"
    elif voter:
        role = "follower"
    elif (health is not None and health.standby) or (ha_node is not None and not ha_node.active_node):
        role = "standby"
    else:
        role = "unknown"
    version = (health.version if health is not None else "") or (pilot.version if pilot else "")
    version = version or (ha_node.version if ha_node else "")
    healthy: bool | None = pilot.healthy if pilot is not None else None
    if healthy is None and health is not None:
        healthy = health.usable
    if health is not None and not health.usable:
        healthy = False
    return ClusterNode(
        address=addr,
        node_id=(peer.node_id if peer else "") or (pilot.node_id if pilot else ""),
        cluster_address=cluster_address,
        role=role,
        state=health.state if health is not None else "unknown",
        version=version,
        sealed=(health.sealed if health.reachable else None) if health is not None else None,
        reachable=health.reachable if health is not None else None,
        voter=voter,
        healthy=healthy,
        last_contact=pilot.last_contact if pilot else "",
        last_contact_seconds=pilot.last_contact_seconds if pilot else None,
        last_index=pilot.last_index if pilot else None,
        configured=configured,
        problem=health.problem if health is not None else "",
    )


def _origin_key(addr: str) -> str:
    origin = origin_of(addr)
    return f"{origin[0]}://{origin[1]}:{origin[2]}" if origin else _norm(addr)


def _strip_scheme(addr: str) -> str:
    return addr.split("://", 1)[-1].rstrip("/")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string such as ``"1.5s"``, ``"925.75ms"`` or ``"1m2.5s"``."""
    text = (text or "").strip()
    if not text:
        return None
    if text == "0":
        return 0.0
    total = 0.0
    index = 0
    sign = 1.0
    if text[0] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        index = 1
    while index < len(text):
        start = index
        while index < len(text) and (text[index].isdigit() or text[index] == "."):
            index += 1
        number = text[start:index]
        unit_start = index
        while index < len(text) and not (text[index].isdigit() or text[index] == "."):
            index += 1
        unit = text[unit_start:index]
        if not number or unit not in _GO_UNITS:
            return None
        try:
            total += float(number) * _GO_UNITS[unit]
        except ValueError:
            return None
    return sign * total
