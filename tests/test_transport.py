"""Connection conventions: VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES, proxies (HTTPS_PROXY, NO_PROXY,
VAULT_PROXY_ADDR), against a real OpenBao, a counting proxy and bad servers, all on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from vault_tui.config import SettingError, connection_from_environment, transport_from_environment
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import ServerError, TLSFailure, Unreachable, VaultError
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.transport import no_proxy_matches, parse_duration, parse_retries, proxy_for

LIMIT = 60.0  # generous: a busy machine is slow, a hang is forever


# -- helpers: tiny servers on 127.0.0.1 -----------------------------------------------------------
class _Listener:
    """A loopback TCP listener; ``handle(conn)`` runs in a thread per connection."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass

    def handle(self, conn: socket.socket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self.closing.set()
        self.sock.close()
        with self.lock:
            for conn in self.open:
                try:
                    conn.close()
                except OSError:
                    pass


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    return data


class StatusServer(_Listener):
    """Answers every request with ``status`` (and a Vault-style JSON error), counting them."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        while True:
            head = _read_head(conn)
            if not head:
                return
            line = head.split(b"\r\n", 1)[0].decode()
            length = 0
            for header in head.split(b"\r\n"):
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":", 1)[1])
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += conn.recv(65536)
            with self.lock:
                self.requests.append(line)
            payload = b'{"errors":["test server says no"]}'
            conn.sendall(
                f"HTTP/1.1 {self.status} Test\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )


class SilentServer(_Listener):
    """Accepts, reads the request, and never answers."""

    def handle(self, conn: socket.socket) -> None:
        head = _read_head(conn)
        with self.lock:
            self.requests.append(head.split(b"\r\n", 1)[0].decode())
        self.closing.wait(LIMIT * 2)


class CountingProxy(_Listener):
    """An HTTP proxy (absolute-form requests and CONNECT) that counts what it relays.

    Every target is reached on 127.0.0.1 at the requested port, whatever host was asked for:
    nothing leaves the machine, and names like ``vault.test`` need no DNS.
    """

    def __init__(self) -> None:
        self.targets: list[str] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        head = _read_head(conn)
        if not head:
            return
        line = head.split(b"\r\n", 1)[0].decode()
        method, target, _ = line.split(" ", 2)
        with self.lock:
            self.requests.append(line)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=LIMIT)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
        else:
            # http://host:port/path -> the same request, sent to 127.0.0.1:port (Go's server
            # accepts the absolute form, so the request line is passed on unchanged).
            authority = target.split("://", 1)[1].split("/", 1)[0]
            host, _, port = authority.rpartition(":")
            upstream = socket.create_connection(("127.0.0.1", int(port or 80)), timeout=LIMIT)
            rest = head
        with self.lock:
            self.targets.append(f"{host}:{port}")
            self.open.append(upstream)
        if rest:
            upstream.sendall(rest)
        pipe = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
        pipe.start()
        _pipe(conn, upstream)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@contextmanager
def running(server: _Listener) -> Iterator[_Listener]:
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def proxy() -> Iterator[CountingProxy]:
    with running(CountingProxy()) as server:
        assert isinstance(server, CountingProxy)
        yield server


@pytest.fixture
def vault_test_resolves(monkeypatch):
    """``vault.test`` resolves to 127.0.0.1 for this test (no DNS query ever leaves the machine)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "vault.test":
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


# -- parsing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, seconds",
    [("30", 30.0), ("1.5", 1.5), ("60s", 60.0), ("1m30s", 90.0), ("500ms", 0.5), ("2h", 7200.0), (" 5s ", 5.0)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10x", "-5", "0", "0s", "1m-3s", "s"])
def test_bad_durations(text):
    with pytest.raises(SettingError):
        parse_duration(text, "VAULT_CLIENT_TIMEOUT")


def test_retries_parse():
    assert parse_retries("0") == 0 and parse_retries(" 5 ") == 5
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(SettingError, match="VAULT_MAX_RETRIES"):
            parse_retries(bad, "VAULT_MAX_RETRIES")


def test_environment_fills_the_transport_fields():
    settings = connection_from_environment(
        {
            "VAULT_ADDR": "https://vault.example.com:8200",
            "VAULT_CLIENT_TIMEOUT": "45s",
            "VAULT_MAX_RETRIES": "5",
            "VAULT_TLS_SERVER_NAME": "vault.internal",
            "HTTPS_PROXY": "proxy.example.com:3128",
            "http_proxy": "http://plain-proxy:8080",
            "no_proxy": ".internal,10.0.0.0/8",
            "SSL_CERT_FILE": "/etc/my-ca.pem",
            "HOME": "/nonexistent",
        }
    )
    assert settings.timeout == 45.0 and settings.max_retries == 5
    assert settings.tls_server_name == "vault.internal"
    assert settings.https_proxy == "http://proxy.example.com:3128"  # Go's rule: no scheme = http://
    assert settings.http_proxy == "http://plain-proxy:8080"
    assert settings.no_proxy == ".internal,10.0.0.0/8"
    assert settings.ca_bundle == "/etc/my-ca.pem" and settings.verify == "/etc/my-ca.pem"
    assert settings.proxy_addr is None


def test_bao_twins_and_defaults():
    fields = transport_from_environment(
        {
            "BAO_CLIENT_TIMEOUT": "7",
            "BAO_MAX_RETRIES": "0",
            "BAO_TLS_SERVER_NAME": "x",
            "BAO_PROXY_ADDR": "127.0.0.1:1",
        }
    )
    assert fields["timeout"] == 7.0 and fields["max_retries"] == 0 and fields["tls_server_name"] == "x"
    assert fields["proxy_addr"] == "http://127.0.0.1:1"
    assert transport_from_environment({"VAULT_CLIENT_TIMEOUT": "1", "BAO_CLIENT_TIMEOUT": "2"})["timeout"] == 1.0
    defaults = ConnectionSettings()
    assert defaults.max_retries == 2 and defaults.timeout == 15.0
    assert transport_from_environment({"REQUESTS_CA_BUNDLE": "/r.pem"})["ca_bundle"] == "/r.pem"
    both = transport_from_environment({"SSL_CERT_FILE": "/s.pem", "REQUESTS_CA_BUNDLE": "/r.pem"})
    assert both["ca_bundle"] == "/s.pem"


@pytest.mark.parametrize(
    "environ, name",
    [
        ({"VAULT_CLIENT_TIMEOUT": "soon"}, "VAULT_CLIENT_TIMEOUT"),
        ({"BAO_MAX_RETRIES": "many"}, "BAO_MAX_RETRIES"),
        ({"HTTPS_PROXY": "socks5://127.0.0.1:1080"}, "HTTPS_PROXY"),
        ({"VAULT_PROXY_ADDR": "http://:3128"}, "VAULT_PROXY_ADDR"),
    ],
)
def test_bad_environment_names_the_variable(environ, name):
    with pytest.raises(SettingError, match=name):
        connection_from_environment(environ)


@pytest.mark.parametrize(
    "host, port, no_proxy, bypass",
    [
        ("vault.example.com", 443, "", False),
        ("vault.example.com", 443, "*", True),
        ("vault.example.com", 443, "example.com", True),  # a domain matches its subdomains
        ("example.com", 443, "example.com", True),
        ("example.com", 443, ".example.com", False),  # a leading dot: subdomains only
        ("a.example.com", 443, ".example.com", True),
        ("badexample.com", 443, "example.com", False),
        ("vault.example.com", 8200, "vault.example.com:8200", True),
        ("vault.example.com", 443, "vault.example.com:8200", False),
        ("10.1.2.3", 8200, "10.0.0.0/8", True),
        ("11.1.2.3", 8200, "10.0.0.0/8", False),
        ("10.1.2.3", 8200, "10.1.2.3", True),
        ("::1", 8200, "[::1]:8200", True),
        ("VAULT.Example.COM", 443, " other.org , example.com ", True),
    ],
)
def test_no_proxy_rules(host, port, no_proxy, bypass):
    assert no_proxy_matches(host, port, no_proxy) is bypass


def test_proxy_choice_follows_go():
    settings = ConnectionSettings(https_proxy="http://p:1", http_proxy="http://q:2", no_proxy="skip.me")
    assert proxy_for("https://vault.example.com:8200/v1/x", settings) == "http://p:1"
    assert proxy_for("http://vault.example.com:8200/v1/x", settings) == "http://q:2"
    assert proxy_for("https://skip.me:8200/v1/x", settings) is None
    # Go never sends loopback through an environment proxy...
    for host in ("127.0.0.1", "localhost", "[::1]", "127.8.9.10"):
        assert proxy_for(f"https://{host}:8200/v1/x", settings) is None
    # ...but VAULT_PROXY_ADDR is for every request.
    forced = ConnectionSettings(proxy_addr="http://r:3", no_proxy="*")
    assert proxy_for("http://127.0.0.1:8200/v1/x", forced) == "http://r:3"


# -- proxies against a real server -----------------------------------------------------------------
def test_http_proxy_is_used_and_no_proxy_skips_it(bao, proxy, vault_test_resolves):
    port = bao.addr.rsplit(":", 1)[1]
    addr = f"http://vault.test:{port}"
    via = Gateway(ConnectionSettings(addr=addr, token=bao.root_token, http_proxy=f"http://127.0.0.1:{proxy.port}"))
    assert "root" in via.lookup_self().policies
    assert proxy.count >= 1 and all(t == f"vault.test:{port}" for t in proxy.targets)

    before = proxy.count
    direct = Gateway(
        ConnectionSettings(
            addr=addr,
            token=bao.root_token,
            http_proxy=f"http://127.0.0.1:{proxy.port}",
            no_proxy="vault.test",
        )
    )
    assert "root" in direct.lookup_self().policies
    assert proxy.count == before


def test_loopback_is_never_proxied_but_proxy_addr_is(bao, proxy):
    settings = ConnectionSettings(addr=bao.addr, token=bao.root_token, http_proxy=f"http://127.0.0.1:{proxy.port}")
    assert not Gateway(settings).server_info().sealed
    assert proxy.count == 0
    forced = ConnectionSettings(addr=bao.addr, token=bao.root_token, proxy_addr=f"http://127.0.0.1:{proxy.port}")
    assert "root" in Gateway(forced).lookup_self().policies
    assert proxy.count >= 1


def test_environment_proxy_reaches_the_client(bao, proxy, vault_test_resolves):
    port = bao.addr.rsplit(":", 1)[1]
    settings = connection_from_environment(
        {
            "VAULT_ADDR": f"http://vault.test:{port}",
            "VAULT_TOKEN": bao.root_token,
            "http_proxy": f"127.0.0.1:{proxy.port}",
            "HOME": "/nonexistent",
        }
    )
    assert "root" in Gateway(settings).lookup_self().policies
    assert proxy.count >= 1


@pytest.fixture(scope="module")
def tls_bao():
    from vault_tui.demo.servers import BaoServer

    server = BaoServer(tls=True).start()
    yield server
    server.stop()


def test_https_proxy_tunnels_with_server_name(tls_bao, proxy, vault_test_resolves):
    port = tls_bao.addr.rsplit(":", 1)[1]
    base = ConnectionSettings(
        addr=f"https://vault.test:{port}",
        token=tls_bao.root_token,
        ca_cert=tls_bao.ca_cert,
        https_proxy=f"http://127.0.0.1:{proxy.port}",
    )
    # vault.test is not a name on the dev certificate: the tunnel works, the name check fails...
    with pytest.raises(TLSFailure):
        Gateway(base).server_info()
    assert any(line.startswith(f"CONNECT vault.test:{port}") for line in proxy.requests)
    # ...until VAULT_TLS_SERVER_NAME says which name to expect (and send as SNI).
    from dataclasses import replace

    named = Gateway(replace(base, tls_server_name="localhost"))
    assert "root" in named.lookup_self().policies


# -- retries and timeouts --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, retried", [(503, True), (500, True), (502, True), (412, True), (501, False), (404, False)]
)
def test_max_retries_follow_the_vault_cli(status, retried):
    with running(StatusServer(status)) as server:
        gateway = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{server.port}", token="t", max_retries=2))
        with pytest.raises(VaultError):
            gateway.request("GET", "sys/mounts")
        assert len(server.requests) == (3 if retried else 1)


def test_no_retries_and_writes_retried_like_the_cli():
    with running(StatusServer(503)) as server:
        gateway = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{server.port}", token="t", max_retries=0))
        with pytest.raises(VaultError):
            gateway.request("GET", "sys/mounts")
        assert len(server.requests) == 1
    with running(StatusServer(500)) as server:
        gateway = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{server.port}", token="t", max_retries=1))
        with pytest.raises(ServerError):
            gateway.request("POST", "secret/data/x", json={"data": {"k": "v"}})
        assert [line.split()[0] for line in server.requests] == ["POST", "POST"]


def test_max_retries_from_the_environment():
    with running(StatusServer(503)) as server:
        settings = connection_from_environment(
            {
                "VAULT_ADDR": f"http://127.0.0.1:{server.port}",
                "VAULT_TOKEN": "t",
                "VAULT_MAX_RETRIES": "4",
            }
        )
        with pytest.raises(VaultError):
            Gateway(settings).request("GET", "sys/mounts")
        assert len(server.requests) == 5


def test_refused_connection_is_reported_not_hung():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    gateway = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{port}", max_retries=2))
    with pytest.raises(Unreachable):
        gateway.server_info()


def test_client_timeout_from_the_environment_against_a_silent_server():
    with running(SilentServer()) as server:
        settings = connection_from_environment(
            {
                "VAULT_ADDR": f"http://127.0.0.1:{server.port}",
                "VAULT_CLIENT_TIMEOUT": "300ms",
                "VAULT_MAX_RETRIES": "3",
            }
        )
        assert settings.timeout == pytest.approx(0.3)
        started = time.monotonic()
        with pytest.raises(Unreachable, match="timed out"):
            Gateway(settings).server_info()
        # A read that timed out is not retried: the request may have been applied, and each
        # retry would cost another full timeout.
        assert len(server.requests) == 1
        assert time.monotonic() - started < LIMIT
