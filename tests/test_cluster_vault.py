"""The Vault layer against a real 3-node OpenBao Raft cluster: health probes, choosing a node,
failover after a killed leader, sealed nodes, standbys, redirects and the cluster overview.

Every test gets a healed cluster (fixture ``cluster``): all nodes running and unsealed, one
active, every node a healthy voter. Waits poll with generous deadlines (the machine may be busy).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import hvac
import hvac.exceptions
import pytest

from vault_tui.demo.cluster import NO_FORWARDING_HEADER, RaftCluster
from vault_tui.demo.servers import free_port
from vault_tui.vault import ha, ha_models
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import (
    InvalidRequest,
    NodeNotActive,
    NotFound,
    Sealed,
    Unreachable,
    UntrustedRedirect,
    VaultError,
    map_exception,
    should_fail_over,
)
from vault_tui.vault.gateway import Gateway

DEADLINE = 90.0  # seconds; generous for a busy 2-core machine


def wait_for(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def hostport(addr: str) -> str:
    return addr.split("://", 1)[1]


def settings_for(cluster: RaftCluster, index: int, token: str | None = None) -> ConnectionSettings:
    return ConnectionSettings(addr=cluster.addrs[index], token=token or cluster.root_token, timeout=10)


def standby_index(cluster: RaftCluster) -> tuple[int, int]:
    leader = cluster.leader_index()
    assert leader is not None
    return leader, (leader + 1) % cluster.size


def new_kv_mount(cluster: RaftCluster) -> str:
    leader = cluster.leader_index()
    assert leader is not None
    client = hvac.Client(url=cluster.addrs[leader], token=cluster.root_token)
    path = f"kv{uuid.uuid4().hex[:8]}"
    client.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    # Standbys learn a new mount a moment later (until then they answer 404 "no handler for route"),
    # and a new KV v2 mount answers 400 "Waiting for the primary to upgrade" for a moment.
    for addr in cluster.addrs:
        gateway = Gateway(ConnectionSettings(addr=addr, token=cluster.root_token))
        wait_for(lambda g=gateway: kv_ready(g, path), f"{path} ready on {addr}")
    return path


def kv_ready(gateway: Gateway, mount: str) -> bool:
    try:
        gateway.request("GET", f"{mount}/data/never-written")
    except NotFound as error:
        return "no handler for route" not in str(error)
    except InvalidRequest:
        return False
    return True


def no_forwarding(gateway: Gateway) -> Gateway:
    """Ask standbys to answer 307 instead of forwarding (this thread's client only)."""
    gateway.client.adapter.session.headers[NO_FORWARDING_HEADER] = "true"
    return gateway


def test_cluster_comes_up_with_three_voters(cluster):
    assert len(cluster.addrs) == 3 and len(set(cluster.addrs)) == 3
    assert all(addr.startswith("http://127.0.0.1:") for addr in cluster.addrs)
    assert cluster.started_in is not None
    print(f"\n3-node Raft cluster started in {cluster.started_in:.1f}s")
    servers = cluster.raft_configuration()
    assert sorted(s["node_id"] for s in servers) == ["node0", "node1", "node2"]
    assert all(s["voter"] for s in servers)
    assert [s["leader"] for s in servers].count(True) == 1
    codes = sorted(cluster.health(i) for i in range(3))
    assert codes == [200, 429, 429]


def test_a_killed_standby_restarts_and_rejoins(cluster):
    _, standby = standby_index(cluster)
    pid = cluster.pid(standby)
    cluster.kill(standby)
    assert not cluster.is_running(standby) and cluster.health(standby) is None
    cluster.restart(standby)
    assert cluster.pid(standby) not in (None, pid)
    assert cluster.health(standby) in (200, 429)
    cluster.wait_healthy()
    assert sorted(s["node_id"] for s in cluster.raft_configuration() if s["voter"]) == ["node0", "node1", "node2"]


def test_probes_classify_active_standby_sealed_unreachable(cluster):
    leader, standby = standby_index(cluster)
    sealed = (leader + 2) % 3
    cluster.seal(sealed)
    dead = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(cluster, leader)
    probes = ha.probe_all(settings, [cluster.addrs[leader], cluster.addrs[standby], cluster.addrs[sealed], dead])
    states = [p.state for p in probes]
    assert states == ["active", "standby", "sealed", "unreachable"], probes
    active, stand, seal, down = probes
    assert active.active and active.status == 200 and active.usable
    assert stand.standby and not stand.active and stand.status == 429 and stand.usable
    assert seal.sealed and seal.status == 503 and not seal.usable
    assert not down.reachable and down.problem == f"cannot reach {hostport(dead)}: connection refused"
    assert active.leader_addr == stand.leader_addr == cluster.addrs[leader]
    assert seal.leader_addr == down.leader_addr == ""
    assert active.cluster_id and active.cluster_id == stand.cluster_id
    assert active.cluster_name == "vault-tui-raft" and active.version
    assert cluster.root_token not in repr(probes)


def test_server_info_detects_a_standby(cluster):
    leader, standby = standby_index(cluster)
    info = Gateway(settings_for(cluster, standby)).server_info()
    assert info.standby and not info.active and info.state == "standby"
    assert "(standby)" in info.label
    assert info.ha_enabled and info.leader_address == cluster.addrs[leader]
    info = Gateway(settings_for(cluster, leader)).server_info()
    assert not info.standby and info.active and info.state == "active"
    assert info.leader_address == cluster.addrs[leader]
    gateway = Gateway(settings_for(cluster, standby))
    health = gateway.health()
    assert health.standby and health.addr == cluster.addrs[standby]


def test_leader_and_ha_status(cluster):
    leader, standby = standby_index(cluster)
    gateway = Gateway(settings_for(cluster, standby))
    info = ha.leader(gateway)
    assert info.ha_enabled and not info.is_self
    assert info.leader_address == cluster.addrs[leader]
    assert info.leader_cluster_address.endswith(cluster.cluster_addrs[leader])
    assert info.raft_committed_index and info.raft_committed_index > 0
    assert gateway.is_cluster_addr(cluster.addrs[leader])
    assert ha.leader(Gateway(settings_for(cluster, leader))).is_self

    nodes = wait_for(lambda: ha_nodes_if(gateway, 3), "three nodes in sys/ha-status")
    assert sorted(n.api_address for n in nodes) == sorted(cluster.addrs)
    assert [n.api_address for n in nodes if n.active_node] == [cluster.addrs[leader]]
    assert all(n.version for n in nodes)
    assert all(gateway.is_cluster_addr(addr) for addr in cluster.addrs)


def ha_nodes_if(gateway: Gateway, count: int) -> tuple[ha_models.HANode, ...] | None:
    nodes = ha.ha_status(gateway)
    return nodes if len(nodes) == count else None


def active_choice(settings: ConnectionSettings, addrs: tuple[str, ...]) -> ha_models.NodeChoice | None:
    choice = ha.choose_node(settings, addrs)
    return choice if choice.active else None


def test_kill_the_leader_and_choose_node_finds_the_new_one(cluster):
    old = cluster.leader_index()
    assert old is not None
    mount = new_kv_mount(cluster)
    settings = settings_for(cluster, old)
    first = ha.choose_node(settings, cluster.addrs)
    assert first.addr == cluster.addrs[old] and first.active and "is the active node" in first.reason

    gateway = Gateway(settings)
    gateway.trust_cluster_addrs(cluster.addrs)
    gateway.request("POST", f"{mount}/data/app", json={"data": {"v": "1"}})
    cluster.kill(old)

    with pytest.raises(VaultError) as info:
        gateway.request("GET", f"{mount}/data/app")
    assert isinstance(info.value, Unreachable) and should_fail_over(info.value)
    assert str(info.value) == f"cannot reach {hostport(cluster.addrs[old])}: connection refused"

    started = time.monotonic()
    choice = wait_for(lambda: active_choice(settings, cluster.addrs), "choose_node to find a new leader")
    print(f"\nnew leader found {time.monotonic() - started:.1f}s after the kill")
    new = cluster.wait_for_new_leader(old)
    assert choice.addr == cluster.addrs[new] != cluster.addrs[old]
    dead = [p for p in choice.probes if p.addr == cluster.addrs[old]]
    assert dead and not dead[0].reachable

    gateway.switch_addr(choice.addr)
    assert gateway.settings.addr == cluster.addrs[new] and gateway.settings.token == cluster.root_token
    body = gateway.request("GET", f"{mount}/data/app")
    assert gateway.data(body)["data"] == {"v": "1"}
    gateway.request("POST", f"{mount}/data/app", json={"data": {"v": "2"}})


def test_choose_node_finds_an_active_node_the_profile_does_not_list(cluster):
    leader, standby = standby_index(cluster)
    others = tuple(a for a in cluster.addrs if a != cluster.addrs[leader])
    choice = ha.choose_node(settings_for(cluster, standby), others)
    assert choice.addr == cluster.addrs[leader] and choice.active
    assert choice.reason == (
        f"{hostport(cluster.addrs[leader])} is the active node (reported by {hostport(others[0])})"
    )
    # A hint from sys/leader wins the same way.
    hinted = ha.choose_node(settings_for(cluster, standby), others[:1], leader_hint=cluster.addrs[leader])
    assert hinted.addr == cluster.addrs[leader]


def test_a_sealed_node_is_skipped(cluster):
    leader, standby = standby_index(cluster)
    settings = settings_for(cluster, standby)
    # The first listed node is sealed: choose_node moves on.
    order = [cluster.addrs[standby], cluster.addrs[leader], cluster.addrs[(leader + 2) % 3]]
    cluster.seal(standby)
    choice = ha.choose_node(settings, order)
    assert choice.addr == cluster.addrs[leader]
    assert [p.state for p in choice.probes][0] == "sealed"

    # A sealed leader: a new one is elected and chosen, the sealed one never is.
    cluster.unseal(standby)
    cluster.seal(leader)
    choice = wait_for(lambda: active_choice(settings, cluster.addrs), "a leader after sealing one")
    assert choice.addr != cluster.addrs[leader]

    # Nothing unsealed: no choice, and the reason says so.
    for index in range(3):
        if cluster.health(index) != 503:
            cluster.seal(index)
    choice = ha.choose_node(settings, cluster.addrs)
    assert not choice.ok and choice.reason == "all 3 nodes are sealed"
    with pytest.raises(Sealed) as info:
        Gateway(settings).request("GET", "sys/mounts")
    assert should_fail_over(info.value)


def test_a_write_through_a_standby_is_forwarded_by_default(cluster):
    leader, standby = standby_index(cluster)
    mount = new_kv_mount(cluster)
    gateway = Gateway(settings_for(cluster, standby))
    gateway.request("POST", f"{mount}/data/fwd", json={"data": {"k": "v"}})
    leader_gw = Gateway(settings_for(cluster, leader))
    assert leader_gw.data(leader_gw.request("GET", f"{mount}/data/fwd"))["data"] == {"k": "v"}


def test_a_write_through_a_standby_with_forwarding_off_keeps_its_token(cluster):
    leader, standby = standby_index(cluster)
    mount = new_kv_mount(cluster)
    # Learning the leader from sys/leader (server_info) makes it a trusted node of the cluster.
    gateway = no_forwarding(Gateway(settings_for(cluster, standby)))
    assert gateway.server_info().standby
    gateway.request("POST", f"{mount}/data/redirected", json={"data": {"k": "v1"}})
    session = gateway.client.adapter.session
    assert session.redirects == [(hostport(cluster.addrs[standby]), hostport(cluster.addrs[leader]), True)]
    leader_gw = Gateway(settings_for(cluster, leader))
    assert leader_gw.data(leader_gw.request("GET", f"{mount}/data/redirected"))["data"] == {"k": "v1"}

    # The profile's addresses are trusted the same way.
    profile_gw = no_forwarding(Gateway(settings_for(cluster, standby)))
    profile_gw.trust_cluster_addrs(cluster.addrs)
    profile_gw.request("POST", f"{mount}/data/redirected", json={"data": {"k": "v2"}})

    # A gateway that knows nothing of the cluster does not send the token to the leader.
    stranger = no_forwarding(Gateway(settings_for(cluster, standby)))
    with pytest.raises(UntrustedRedirect) as info:
        stranger.request("POST", f"{mount}/data/redirected", json={"data": {"k": "v3"}})
    error = info.value
    assert should_fail_over(error)
    assert error.origin == hostport(cluster.addrs[standby]) and error.target == hostport(cluster.addrs[leader])
    assert str(error) == (
        f"{hostport(cluster.addrs[standby])} redirected the request to {hostport(cluster.addrs[leader])}, which is "
        "not a known node of this cluster, so the token was not sent there"
    )
    assert cluster.root_token not in str(error) and cluster.root_token not in repr(error)
    assert leader_gw.data(leader_gw.request("GET", f"{mount}/data/redirected"))["data"] == {"k": "v2"}


def test_while_the_leader_is_gone_every_failure_calls_for_failover(cluster):
    leader, standby = standby_index(cluster)
    gateway = no_forwarding(Gateway(settings_for(cluster, standby)))
    gateway.trust_cluster_addrs(cluster.addrs)
    cluster.kill(leader)
    outcomes: list[str] = []
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            gateway.request("POST", "cubbyhole/failover", json={"a": "b"})
        except VaultError as error:
            assert should_fail_over(error), repr(error)
            message = str(error)
            assert "\n" not in message and "HTTPConnectionPool" not in message and "urllib3" not in message
            if isinstance(error, Unreachable):
                assert hostport(cluster.addrs[leader]) in message
            outcomes.append(type(error).__name__)
            time.sleep(0.1)
            continue
        outcomes.append("ok")
        break
    assert outcomes[-1] == "ok", outcomes


def test_the_layer_maps_standby_answers_to_not_active():
    for status, text in (
        (500, "local node not active but active cluster node not found"),
        (503, "no active Vault instance found"),
        (400, "Vault is in standby mode"),
    ):
        kind = {500: hvac.exceptions.InternalServerError, 503: hvac.exceptions.VaultDown}.get(
            status, hvac.exceptions.InvalidRequest
        )
        error = map_exception(kind(errors=[text], method="PUT", url="http://127.0.0.1:1/v1/secret/x"), "secret/x")
        assert isinstance(error, NodeNotActive) and should_fail_over(error), (status, text)


def test_cluster_overview_with_root(cluster):
    leader, standby = standby_index(cluster)
    gateway = Gateway(settings_for(cluster, standby))

    def complete() -> ha_models.ClusterOverview | None:
        overview = ha.cluster_overview(gateway, cluster.addrs)
        return overview if all(n.node_id and n.address for n in overview.nodes) else None

    overview = wait_for(complete, "an overview that ties every Raft peer to its API address")
    assert overview.ha_enabled and overview.leader_address == cluster.addrs[leader]
    assert overview.notes == ()
    assert overview.healthy is True and overview.failure_tolerance == 1
    assert len(overview.nodes) == 3
    rows = {n.address: n for n in overview.nodes}
    assert set(rows) == set(cluster.addrs)
    assert rows[cluster.addrs[leader]].role == "leader" and rows[cluster.addrs[leader]].state == "active"
    for index in range(3):
        row = rows[cluster.addrs[index]]
        assert row.node_id == cluster.node_id(index)
        assert row.cluster_address == cluster.cluster_addrs[index]
        assert row.version and row.sealed is False and row.reachable and row.voter and row.healthy
        assert row.configured and row.last_contact
        if index != leader:
            assert row.role == "follower" and row.state == "standby"

    # A killed follower keeps its one row (the previous overview ties its addresses), unreachable.
    victim = (leader + 2) % 3
    cluster.kill(victim)
    known = overview.address_map

    def victim_down() -> ha_models.ClusterOverview | None:
        later = ha.cluster_overview(gateway, cluster.addrs, known=known)
        row = next((n for n in later.nodes if n.address == cluster.addrs[victim]), None)
        return later if row is not None and row.healthy is False and row.node_id else None

    later = wait_for(victim_down, "autopilot to mark the killed node unhealthy")
    assert len(later.nodes) == 3
    row = next(n for n in later.nodes if n.address == cluster.addrs[victim])
    assert row.state == "unreachable" and row.reachable is False and row.node_id == cluster.node_id(victim)
    assert row.problem == f"cannot reach {hostport(cluster.addrs[victim])}: connection refused"


def test_cluster_overview_with_tokens_that_may_not_read_everything(cluster):
    leader, standby = standby_index(cluster)
    root = hvac.Client(url=cluster.addrs[leader], token=cluster.root_token)
    default_token = root.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
    gateway = Gateway(settings_for(cluster, standby, token=default_token))
    overview = ha.cluster_overview(gateway, cluster.addrs)
    assert overview.notes == (
        "HA status: reading them needs the read capability on sys/ha-status, which this token lacks",
        "Raft peers: reading them needs the read capability on sys/storage/raft/configuration, which this token lacks",
        "Autopilot state: reading them needs the read capability on sys/storage/raft/autopilot/state, "
        "which this token lacks",
    )
    assert isinstance(overview.raft, ha_models.Unreadable) and overview.raft.kind == "permission"
    assert overview.raft.needs == "read"
    rows = {n.address: n for n in overview.nodes}
    assert set(rows) == set(cluster.addrs)
    assert rows[cluster.addrs[leader]].role == "leader"
    assert all(rows[a].role == "standby" for a in cluster.addrs if a != cluster.addrs[leader])
    assert overview.healthy is None

    # No sudo needed on OpenBao: read on the status paths is enough for the whole picture.
    root.sys.create_or_update_acl_policy(
        "cluster-reader",
        'path "sys/ha-status" { capabilities = ["read"] }\n'
        'path "sys/storage/raft/configuration" { capabilities = ["read"] }\n'
        'path "sys/storage/raft/autopilot/state" { capabilities = ["read"] }\n',
    )
    reader_token = root.auth.token.create(policies=["cluster-reader"], ttl="10m")["auth"]["client_token"]
    reader = Gateway(settings_for(cluster, standby, token=reader_token))
    overview = ha.cluster_overview(reader, cluster.addrs)
    assert overview.notes == ()
    assert isinstance(overview.raft, ha_models.RaftConfiguration) and len(overview.raft.servers) == 3
    assert isinstance(overview.autopilot, ha_models.AutopilotState) and overview.autopilot.healthy
