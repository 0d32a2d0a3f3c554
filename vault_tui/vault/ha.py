"""HA awareness (interim): health probes of one node and the choice of a node among several.

Superseded by the full cluster layer; kept minimal so the connection keeper can run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from .client import ConnectionSettings
from .errors import VaultError
from .gateway import Gateway


@dataclass(frozen=True)
class NodeHealth:
    addr: str
    reachable: bool = False
    initialized: bool = False
    sealed: bool = False
    standby: bool = False
    active: bool = False
    version: str = ""
    leader_addr: str = ""
    problem: str = ""


@dataclass(frozen=True)
class NodeChoice:
    addr: str | None
    health: NodeHealth | None
    probes: tuple[NodeHealth, ...] = ()
    problem: str = ""


def probe_health(settings: ConnectionSettings, addr: str, timeout: float = 2.0) -> NodeHealth:
    gateway = Gateway(replace(settings, addr=addr, token=None, timeout=min(settings.timeout, timeout)))
    try:
        info = gateway.server_info()
    except VaultError as error:
        return NodeHealth(addr, reachable=False, problem=str(error))
    return NodeHealth(
        addr,
        reachable=True,
        initialized=info.initialized,
        sealed=info.sealed,
        standby=info.standby,
        active=not info.sealed and not info.standby,
        version=info.version,
        problem="sealed" if info.sealed else "",
    )


def choose_node(settings: ConnectionSettings, addrs: tuple[str, ...]) -> NodeChoice:
    with ThreadPoolExecutor(max(1, len(addrs))) as pool:
        probes = tuple(pool.map(lambda a: probe_health(settings, a), addrs))
    for want in ("active", "standby"):
        for probe in probes:
            if probe.reachable and not probe.sealed and (probe.active if want == "active" else probe.standby):
                return NodeChoice(probe.addr, probe, probes)
    problem = "; ".join(f"{p.addr}: {p.problem or 'not usable'}" for p in probes)
    return NodeChoice(None, None, probes, problem)
