"""Seed a KV v2 mount with many secrets, fast: raw HTTP writes from a pool of keep-alive sessions."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO
from urllib.parse import quote, urlsplit

import requests

TEAMS = ["payments", "identity", "search", "platform", "data", "mobile", "billing", "growth", "infra", "security"]
SERVICES = ["api", "worker", "gateway", "scheduler", "frontend", "ledger", "stripe-sync", "notifier", "auth", "etl"]
ENVS = ["prod", "staging", "dev", "qa"]
NAMES = [
    "db-password",
    "api-key",
    "stripe-secret",
    "tls-cert",
    "oauth-client",
    "redis-url",
    "s3-credentials",
    "jwt-signing-key",
    "smtp",
    "sentry-dsn",
    "webhook-secret",
    "postgres",
    "kafka",
    "datadog-api-key",
    "github-token",
]
PER_FOLDER = 50


def seed_paths(count: int) -> list[str]:
    """``count`` realistic paths: team-NN/service/env/name-K, 50 secrets per leaf folder."""
    paths: list[str] = []
    folder = 0
    while len(paths) < count:
        team = f"{TEAMS[folder % len(TEAMS)]}-{(folder // 40) % 100:02d}"
        service = SERVICES[(folder // len(ENVS)) % len(SERVICES)]
        env = ENVS[folder % len(ENVS)]
        for k in range(min(PER_FOLDER, count - len(paths))):
            name = NAMES[(folder + k) % len(NAMES)]
            paths.append(f"{team}/{service}/{env}/{name}-{k}")
        folder += 1
    return paths


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Vault-Token"] = token
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1)
    session.mount("http://", adapter)
    return session


def seed(addr: str, token: str, mount: str, paths: list[str], *, connections: int = 4, window: int = 64) -> float:
    """Write every path (KV v2, one small secret each); returns the seconds taken.

    HTTP/1.1 pipelining over a few raw keep-alive sockets: ``window`` requests are written at
    once, then their answers read, so the client spends almost nothing per secret and the
    server (which answers a connection's requests in order) stays busy.
    """
    parsed = urlsplit(addr)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    if parsed.scheme != "http":
        raise ValueError("the benchmark seeds a plain-HTTP loopback server")
    body = b'{"data":{"v":"x"}}'
    head = (
        f"Host: {host}:{port}\r\nX-Vault-Token: {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    def request(path: str) -> bytes:
        return f"POST /v1/{mount}/data/{quote(path, safe='/')} HTTP/1.1\r\n".encode() + head + body

    def run(share: list[str]) -> None:
        with socket.create_connection((host, port)) as sock:
            reader = sock.makefile("rb")
            for i in range(0, len(share), window):
                batch = share[i : i + window]
                sock.sendall(b"".join(request(p) for p in batch))
                for path in batch:
                    _read_response(reader, path)

    started = time.perf_counter()
    shares = [paths[i::connections] for i in range(connections)]
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(run, shares))
    return time.perf_counter() - started


def _read_response(reader: BinaryIO, path: str) -> None:
    status = reader.readline()
    parts = status.split(None, 2)
    if len(parts) < 2:
        raise RuntimeError("seeding: the server closed the connection")
    length = 0
    chunked = False
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int(reader.readline().split(b";")[0].strip() or b"0", 16)
            reader.read(size + 2)
            if size == 0:
                break
    elif length:
        reader.read(length)
    code = int(parts[1])
    if code >= 300:
        raise RuntimeError(f"seeding {path} failed: HTTP {code}")


def enable_kv2(addr: str, token: str, mount: str) -> None:
    response = _session(token).post(f"{addr}/v1/sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}})
    if response.status_code >= 300:
        raise RuntimeError(f"enabling {mount} failed: HTTP {response.status_code}")
