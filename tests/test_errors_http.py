"""Failures of the HTTP stack become one plain sentence, never a raw urllib3 string.

Real sockets on 127.0.0.1: a port nobody listens on, a server that accepts and never answers,
one that resets the connection, one that closes it, one that answers garbage.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from vault_tui.demo.servers import free_port
from vault_tui.vault import ha
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import (
    BadAddress,
    NodeNotActive,
    Sealed,
    TLSFailure,
    Unreachable,
    UntrustedRedirect,
    VaultError,
    should_fail_over,
)
from vault_tui.vault.gateway import Gateway

RAW_MARKERS = ("HTTPConnectionPool", "Max retries", "urllib3", "NewConnectionError", "Errno", "object at 0x")
TOKEN = "demo-token-must-not-leak"


def _read_request(conn: socket.socket) -> None:
    """Read the whole request head, so closing sends FIN rather than RST (unread data)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


class _Socket:
    """A loopback TCP server whose every connection is handled by ``mode``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def addr(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "hang":
                self.held.append(conn)  # accepted, never read, never answered
                continue
            try:
                conn.settimeout(10)
                _read_request(conn)
                if self.mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif self.mode == "garbage":
                    conn.sendall(b"this is not http\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def make_socket() -> Iterator:
    made: list[_Socket] = []

    def make(mode: str) -> _Socket:
        server = _Socket(mode)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def _fail(addr: str, timeout: float = 15.0) -> VaultError:
    gateway = Gateway(ConnectionSettings(addr=addr, token=TOKEN, timeout=timeout))
    with pytest.raises(VaultError) as info:
        gateway.request("GET", "secret/data/x")
    return info.value


def _plain(message: str) -> None:
    assert "\n" not in message
    assert TOKEN not in message
    for marker in RAW_MARKERS:
        assert marker not in message, message


def test_connection_refused_is_one_sentence():
    port = free_port()
    error = _fail(f"http://127.0.0.1:{port}")
    assert type(error) is Unreachable
    assert str(error) == f"cannot reach 127.0.0.1:{port}: connection refused"
    assert should_fail_over(error)
    _plain(str(error))


def test_a_server_that_accepts_and_never_answers_times_out(make_socket):
    server = make_socket("hang")
    error = _fail(server.addr, timeout=0.5)
    assert type(error) is Unreachable
    assert str(error) == f"cannot reach 127.0.0.1:{server.port}: timed out"
    assert should_fail_over(error)
    _plain(str(error))


def test_connection_reset(make_socket):
    server = make_socket("reset")
    error = _fail(server.addr)
    assert str(error) == f"cannot reach 127.0.0.1:{server.port}: connection reset"
    assert isinstance(error, Unreachable) and should_fail_over(error)
    _plain(str(error))


def test_connection_closed_without_an_answer(make_socket):
    server = make_socket("close")
    error = _fail(server.addr)
    assert str(error) == f"cannot reach 127.0.0.1:{server.port}: the connection was closed before an answer came"
    _plain(str(error))


def test_an_answer_that_is_not_http(make_socket):
    server = make_socket("garbage")
    error = _fail(server.addr)
    assert str(error) == f"cannot reach 127.0.0.1:{server.port}: the answer was not valid HTTP"
    _plain(str(error))


def test_tls_to_a_plain_socket_is_a_plain_sentence(make_socket):
    server = make_socket("close")
    error = _fail(f"https://127.0.0.1:{server.port}")
    assert isinstance(error, TLSFailure) and not should_fail_over(error)
    assert str(error).startswith(f"TLS handshake with 127.0.0.1:{server.port} failed: ")
    _plain(str(error))


@pytest.mark.parametrize(
    ("addr", "reason"),
    [
        ("127.0.0.1:8200", "it must start with http:// or https://"),
        ("http://127.0.0.1:1,http://127.0.0.1:2", "the host or port is not valid"),
        ("http:///v1", "it has no host name"),
    ],
)
def test_an_invalid_address_says_which_and_why(addr, reason):
    error = _fail(addr)
    assert isinstance(error, BadAddress) and not should_fail_over(error)
    assert str(error).startswith(f"{addr!r} is not a valid server address: {reason}")
    _plain(str(error))


def test_probes_never_raise_for_dead_nodes(make_socket):
    hang = make_socket("hang")
    refused = f"http://127.0.0.1:{free_port()}"
    settings = ConnectionSettings(addr=refused, token=TOKEN)
    probes = ha.probe_all(settings, [refused, hang.addr, refused + "/"], timeout=0.5)
    assert [p.addr for p in probes] == [refused, hang.addr]  # duplicates dropped, order kept
    assert all(not p.reachable and p.state == "unreachable" for p in probes)
    assert probes[0].problem.endswith(": connection refused")
    assert probes[1].problem.endswith(": timed out")
    for probe in probes:
        _plain(probe.problem)
    choice = ha.choose_node(settings, [refused, hang.addr], timeout=0.5)
    assert not choice.ok and choice.addr is None and choice.health is None and choice.problem == choice.reason
    assert choice.reason.startswith("none of the 2 nodes answered (")
    assert "connection refused" in choice.reason and "timed out" in choice.reason
    gateway = Gateway(settings)
    health = gateway.health(timeout=0.5)
    assert not health.reachable and health.problem.endswith("connection refused")


def test_health_of_a_dev_server_and_its_single_node_overview(gateway, bao):
    health = gateway.health()
    assert health.reachable and health.active and health.state == "active" and health.status == 200
    assert health.version and health.cluster_id and health.server_time is not None
    info = gateway.server_info()
    assert not info.standby and info.active and info.state == "active" and not info.ha_enabled
    overview = ha.cluster_overview(gateway, [bao.addr])
    assert not overview.ha_enabled
    assert [n.address for n in overview.nodes] == [bao.addr]
    assert overview.nodes[0].role == "leader" and overview.nodes[0].state == "active"
    assert any("HA is not enabled" in note for note in overview.notes)


def test_failover_classification():
    assert should_fail_over(Unreachable("x"))
    assert should_fail_over(Sealed("x"))
    assert should_fail_over(NodeNotActive("x"))
    assert should_fail_over(UntrustedRedirect("x")) and isinstance(UntrustedRedirect("x"), NodeNotActive)
    assert not should_fail_over(TLSFailure("x"))
    assert not should_fail_over(VaultError("x"))


def test_go_durations():
    assert ha.parse_go_duration("0s") == 0.0
    assert ha.parse_go_duration("925.5ms") == pytest.approx(0.9255)
    assert ha.parse_go_duration("1m2.5s") == pytest.approx(62.5)
    assert ha.parse_go_duration("1h0m0s") == 3600.0
    assert ha.parse_go_duration("") is None
    assert ha.parse_go_duration("soon") is None
