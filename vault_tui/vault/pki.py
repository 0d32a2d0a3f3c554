"""PKI: issuers, certificates (parsed from their PEM), roles, issuing and revoking.

The models (:class:`~.pki_models.Certificate`, ...), their export rows and the PEM parsing are in
:mod:`vault_tui.vault.pki_models`; this module holds the calls.

Every function takes a :class:`~vault_tui.vault.gateway.Gateway` first and runs in a worker
thread. Reading many certificates (one ``GET <mount>/cert/<serial>`` each) uses a small internal
thread pool with a bounded number of calls in flight; it honours a cancel ``Event`` and reports
progress through a callback.

Facts this module encodes (checked against OpenBao 2.x):

* ``LIST <mount>/certs`` lists the serials of the certificates the mount *issued* (an intermediate
  imported with ``intermediate/set-signed`` is not among them; it is an issuer, listed by
  ``LIST <mount>/issuers``). Revoked certificates stay in the list and are also listed by
  ``LIST <mount>/certs/revoked``; ``GET <mount>/cert/<serial>`` then has a ``revocation_time``.
* ``GET <mount>/cert/<serial>`` (and ``<mount>/issuer/<id>/json``) needs no token at all: they
  are unauthenticated paths. Listing (``certs``, ``certs/revoked``, ``issuers``) does need one.
  ``cert/<serial>`` names its ``issuer_id`` only once the certificate is revoked; otherwise the
  signer is matched locally (authority key id against the issuers' subject key ids).
* Serials are colon-separated lower-case hex (``0a:ab:77:…``); the API accepts hyphens too.
* ``<mount>/issue/<role>`` answers with the private key. :func:`issue_certificate` hands it to
  the caller in :attr:`IssuedCertificate.private_key`, which no ``repr`` shows, and keeps no other
  copy. Issuing and revoking are writes: refused in read-only mode.
* Servers older than the multi-issuer API (Vault < 1.11) have no ``<mount>/issuers``; the CA is
  then read from ``<mount>/cert/ca``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from .errors import InvalidRequest, MalformedResponse, PermissionDenied, VaultError
from .gateway import Gateway, ensure_writable
from .models import EngineKind, Mount
from .pki_models import (
    Certificate,
    IssuedCertificate,
    PkiInventory,
    PkiRole,
    RevokedCertificate,
    _MaskedText,
    _revocation_time,
    _utcnow,
    normalise_serial,
    parse_certificate,
)
from .transit_models import parse_period

__all__ = [
    "DEFAULT_WORKERS",
    "bounded_map",
    "pki_mounts",
    "list_serials",
    "list_revoked_serials",
    "read_certificate",
    "read_certificates",
    "list_issuers",
    "inventory",
    "list_roles",
    "read_role",
    "issue_certificate",
    "revoke_certificate",
]

#: How many certificate reads are in flight at once.
DEFAULT_WORKERS = 6

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[int, int], None]  # (done, total)


# -- bounded concurrency ----------------------------------------------------------------------
def bounded_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> tuple[list[tuple[T, R | BaseException]], bool]:
    """Run ``fn`` over ``items`` with at most ``workers`` calls in flight.

    Returns ``([(item, result or the exception it raised)...] in input order, cancelled)``.
    Once ``cancel`` is set no new call starts; those in flight finish."""
    results: dict[int, R | BaseException] = {}
    total = len(items)
    if total == 0:
        return [], False
    workers = max(1, min(workers, total))
    done = 0
    cancelled = False
    if progress:
        progress(0, total)
    with ThreadPoolExecutor(workers, thread_name_prefix="vault-pool") as pool:
        pending: dict[Future[R], int] = {}
        queue = iter(range(total))

        def fill() -> None:
            nonlocal cancelled
            while len(pending) < workers:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    return
                index = next(queue, None)
                if index is None:
                    return
                pending[pool.submit(fn, items[index])] = index

        fill()
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                error = future.exception()
                results[index] = error if error is not None else future.result()
                done += 1
            if progress:
                progress(done, total)
            fill()
    ordered = [(items[i], results[i]) for i in sorted(results)]
    return ordered, cancelled or len(results) < total


# -- mounts, serials, certificates ------------------------------------------------------------
def _m(mount: str) -> str:
    mount = str(mount or "").strip().strip("/")
    if not mount or ".." in mount.split("/"):
        raise InvalidRequest("choose a PKI mount")
    return mount


def _seg(name: str, what: str) -> str:
    name = str(name or "").strip()
    if not name or "/" in name or name in (".", "..") or any(ord(c) < 0x20 for c in name):
        raise InvalidRequest(f"the {what} may not be empty or contain '/' or control characters")
    return quote(name, safe="@.-_")


def pki_mounts(gateway: Gateway) -> tuple[Mount, ...]:
    """Every PKI secrets engine this token can see."""
    return tuple(m for m in gateway.mounts() if not m.is_auth and m.kind is EngineKind.PKI)


def _keys(gateway: Gateway, path: str) -> tuple[str, ...]:
    body = gateway.request("LIST", path, missing_ok=True)
    keys = gateway.data(body, path).get("keys") or []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the key list of {path} is not a list", path=path)
    return tuple(str(k) for k in keys)


def list_serials(gateway: Gateway, mount: str) -> tuple[str, ...]:
    """Serials of the certificates the mount stored (``LIST <mount>/certs``)."""
    return tuple(normalise_serial(s) for s in _keys(gateway, f"{_m(mount)}/certs") if _is_serial(s))


def list_revoked_serials(gateway: Gateway, mount: str) -> tuple[str, ...]:
    """Serials of revoked certificates (``LIST <mount>/certs/revoked``)."""
    return tuple(normalise_serial(s) for s in _keys(gateway, f"{_m(mount)}/certs/revoked") if _is_serial(s))


def _is_serial(text: str) -> bool:
    try:
        normalise_serial(text)
    except InvalidRequest:
        return False
    return True


def read_certificate(gateway: Gateway, mount: str, serial: str, *, now: datetime | None = None) -> Certificate:
    """``GET <mount>/cert/<serial>``, parsed."""
    serial = normalise_serial(serial)
    where = f"{_m(mount)}/cert/{serial}"
    data = gateway.data(gateway.request("GET", where), where)
    pem = data.get("certificate")
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        raise MalformedResponse(f"{where} returned no certificate", path=where)
    return parse_certificate(
        pem,
        mount=mount,
        now=now,
        revocation_time=_revocation_time(data),
        signed_by_issuer_id=str(data.get("issuer_id") or ""),
    )


def read_certificates(
    gateway: Gateway,
    mount: str,
    serials: Iterable[str],
    *,
    now: datetime | None = None,
    workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> tuple[tuple[Certificate, ...], tuple[tuple[str, VaultError], ...], bool]:
    """Read many certificates with bounded concurrency.

    Returns ``(certificates, failures as (serial, error), cancelled)``."""
    now = now or _utcnow()
    wanted = list(dict.fromkeys(serials))
    outcomes, cancelled = bounded_map(
        lambda s: read_certificate(gateway, mount, s, now=now),
        wanted,
        workers=workers,
        cancel=cancel,
        progress=progress,
    )
    certs: list[Certificate] = []
    failures: list[tuple[str, VaultError]] = []
    for serial, outcome in outcomes:
        if isinstance(outcome, Certificate):
            certs.append(outcome)
        elif isinstance(outcome, VaultError):
            failures.append((serial, outcome))
        elif isinstance(outcome, BaseException):
            raise outcome
    return tuple(certs), tuple(failures), cancelled


def list_issuers(gateway: Gateway, mount: str, *, now: datetime | None = None) -> tuple[Certificate, ...]:
    """The mount's issuers (CAs), each as a :class:`Certificate` with its issuer fields set.

    Falls back to ``<mount>/cert/ca`` on servers without the multi-issuer API."""
    now = now or _utcnow()
    base = _m(mount)
    try:
        body = gateway.request("LIST", f"{base}/issuers", missing_ok=True)
    except InvalidRequest:
        body = None  # an old server: "unsupported path"
    if body is None:
        return _legacy_ca(gateway, base, now)
    data = gateway.data(body, f"{base}/issuers")
    keys = data.get("keys") or []
    info = data.get("key_info") or {}
    if not isinstance(keys, list) or not isinstance(info, dict):
        raise MalformedResponse(f"the issuer list of {base}/issuers is malformed", path=f"{base}/issuers")
    issuers = []
    for issuer_id in (str(k) for k in keys):
        where = f"{base}/issuer/{_seg(issuer_id, 'issuer id')}"
        detail = gateway.data(gateway.request("GET", where), where)
        pem = detail.get("certificate")
        if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
            raise MalformedResponse(f"{where} returned no certificate", path=where)
        raw_entry = info.get(issuer_id)
        entry: dict[str, Any] = raw_entry if isinstance(raw_entry, dict) else {}
        cert = parse_certificate(pem, mount=base, now=now)
        revoked = bool(detail.get("revoked"))
        issuers.append(
            replace(
                cert,
                issuer_ref=issuer_id,
                issuer_name=str(detail.get("issuer_name") or entry.get("issuer_name") or ""),
                default_issuer=bool(entry.get("is_default")),
                revoked=revoked or cert.revoked,
                revocation_time=_revocation_time(detail) if revoked else None,
            )
        )
    return tuple(issuers)


def _legacy_ca(gateway: Gateway, base: str, now: datetime) -> tuple[Certificate, ...]:
    body = gateway.request("GET", f"{base}/cert/ca", missing_ok=True)
    pem = gateway.data(body, f"{base}/cert/ca").get("certificate")
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        return ()
    cert = parse_certificate(pem, mount=base, now=now)
    return (replace(cert, issuer_ref="default", default_issuer=True),)


def _signer(cert: Certificate, issuers: Sequence[Certificate]) -> str:
    """The id of the issuer that signed ``cert``: its key id matches, else its subject does."""
    if cert.authority_key_id:
        for issuer in issuers:
            if issuer.subject_key_id == cert.authority_key_id and issuer.subject == cert.issuer:
                return issuer.issuer_ref
    candidates = [i.issuer_ref for i in issuers if i.subject == cert.issuer]
    return candidates[0] if len(candidates) == 1 else ""


def _merge(issuers: Sequence[Certificate], certs: Sequence[Certificate]) -> tuple[Certificate, ...]:
    """One row per serial: an issuer's row keeps the stored certificate's revocation state too.
    Certificates whose signer the server did not name are matched to an issuer by key id."""
    by_serial: dict[str, Certificate] = {}
    for cert in certs:
        if not cert.signed_by_issuer_id and issuers:
            cert = replace(cert, signed_by_issuer_id=_signer(cert, issuers))
        by_serial[cert.serial] = cert
    for issuer in issuers:
        stored = by_serial.get(issuer.serial)
        if stored is not None and stored.revoked and not issuer.revoked:
            issuer = replace(issuer, revoked=True, revocation_time=stored.revocation_time)
        if stored is not None and not issuer.signed_by_issuer_id:
            issuer = replace(issuer, signed_by_issuer_id=stored.signed_by_issuer_id)
        by_serial[issuer.serial] = issuer
    return tuple(sorted(by_serial.values(), key=lambda c: (c.not_after, c.common_name, c.serial)))


def _problem(what: str, error: VaultError) -> str:
    reason = "permission denied" if isinstance(error, PermissionDenied) else str(error)
    return f"could not read {what}: {reason}"


def inventory(
    gateway: Gateway,
    mount: str,
    *,
    now: datetime | None = None,
    workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    include_issuers: bool = True,
) -> PkiInventory:
    """Issuers and certificates of one PKI mount, sorted by expiry, revoked ones marked.

    What cannot be read (a 403 on the list, on one certificate...) becomes a line in
    ``problems``; everything else is still returned."""
    now = now or _utcnow()
    base = _m(mount)
    problems: list[str] = []
    issuers: tuple[Certificate, ...] = ()
    if include_issuers:
        try:
            issuers = list_issuers(gateway, base, now=now)
        except VaultError as error:
            problems.append(_problem(f"the issuers of {base}/", error))
    serials: list[str] = []
    try:
        serials.extend(list_serials(gateway, base))
    except VaultError as error:
        problems.append(_problem(f"the certificate list of {base}/", error))
    revoked: set[str] = set()
    try:
        revoked = set(list_revoked_serials(gateway, base))
    except VaultError as error:
        problems.append(_problem(f"the revoked certificate list of {base}/", error))
    serials.extend(s for s in sorted(revoked) if s not in serials)
    certs, failures, cancelled = read_certificates(
        gateway, base, serials, now=now, workers=workers, cancel=cancel, progress=progress
    )
    for serial, failure in failures:
        problems.append(_problem(f"certificate {serial} on {base}/", failure))
    marked = tuple(replace(c, revoked=True) if c.serial in revoked and not c.revoked else c for c in certs)
    return PkiInventory(
        mount=base + "/", certificates=_merge(issuers, marked), problems=tuple(problems), cancelled=cancelled
    )


# -- roles ------------------------------------------------------------------------------------
def list_roles(gateway: Gateway, mount: str) -> tuple[str, ...]:
    """Role names on the mount (none is an empty tuple)."""
    return tuple(sorted(k for k in _keys(gateway, f"{_m(mount)}/roles") if not k.endswith("/")))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def read_role(gateway: Gateway, mount: str, name: str) -> PkiRole:
    where = f"{_m(mount)}/roles/{_seg(name, 'role name')}"
    d = gateway.data(gateway.request("GET", where), where)
    return PkiRole(
        mount=_m(mount) + "/",
        name=name,
        allowed_domains=_strings(d.get("allowed_domains")),
        allow_subdomains=bool(d.get("allow_subdomains")),
        allow_bare_domains=bool(d.get("allow_bare_domains")),
        allow_glob_domains=bool(d.get("allow_glob_domains")),
        allow_wildcard_certificates=bool(d.get("allow_wildcard_certificates")),
        allow_any_name=bool(d.get("allow_any_name")),
        allow_localhost=bool(d.get("allow_localhost")),
        allow_ip_sans=bool(d.get("allow_ip_sans")),
        allowed_uri_sans=_strings(d.get("allowed_uri_sans")),
        enforce_hostnames=bool(d.get("enforce_hostnames", True)),
        require_cn=bool(d.get("require_cn", True)),
        key_type=str(d.get("key_type") or "rsa"),
        key_bits=_int(d.get("key_bits")),
        ttl=parse_period(d.get("ttl")),
        max_ttl=parse_period(d.get("max_ttl")),
        generate_lease=bool(d.get("generate_lease")),
        no_store=bool(d.get("no_store")),
        issuer_ref=str(d.get("issuer_ref") or "default"),
        server_flag=bool(d.get("server_flag", True)),
        client_flag=bool(d.get("client_flag", True)),
        key_usage=_strings(d.get("key_usage")),
        ext_key_usage=_strings(d.get("ext_key_usage")),
    )


# -- issue and revoke -------------------------------------------------------------------------
def _clean_list(values: Sequence[str] | str | None, what: str) -> list[str]:
    items = _strings(values) if isinstance(values, str) else [str(v).strip() for v in (values or ())]
    out = [v for v in items if v]
    for value in out:
        if "," in value or any(ord(c) < 0x20 for c in value):
            raise InvalidRequest(f"a {what} may not contain ',' or control characters")
    return out


def issue_certificate(
    gateway: Gateway,
    mount: str,
    role: str,
    common_name: str,
    *,
    alt_names: Sequence[str] | str = (),
    ip_sans: Sequence[str] | str = (),
    uri_sans: Sequence[str] | str = (),
    ttl: str | int | None = None,
    exclude_cn_from_sans: bool = False,
    now: datetime | None = None,
) -> IssuedCertificate:
    """``POST <mount>/issue/<role>``: a new key pair and certificate.

    The private key comes back only in :attr:`IssuedCertificate.private_key` (masked in every
    repr); nothing here stores or logs it."""
    ensure_writable(gateway, "issuing a certificate")
    common_name = str(common_name or "").strip()
    if not common_name or any(ord(c) < 0x20 for c in common_name):
        raise InvalidRequest("a certificate needs a common name")
    payload: dict[str, Any] = {"common_name": common_name}
    for name, values, what in (
        ("alt_names", alt_names, "DNS name"),
        ("ip_sans", ip_sans, "IP SAN"),
        ("uri_sans", uri_sans, "URI SAN"),
    ):
        cleaned = _clean_list(values, what)
        if cleaned:
            payload[name] = ",".join(cleaned)
    if ttl not in (None, "", 0):
        payload["ttl"] = str(ttl).strip() if isinstance(ttl, str) else int(ttl)
    if exclude_cn_from_sans:
        payload["exclude_cn_from_sans"] = True
    where = f"{_m(mount)}/issue/{_seg(role, 'role name')}"
    body = gateway.request("POST", where, json=payload)
    data = gateway.data(body, where)
    pem = data.get("certificate")
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        raise MalformedResponse(f"{where} returned no certificate", path=where)
    cert = parse_certificate(pem, mount=mount, now=now)
    chain = data.get("ca_chain") or ()
    key = data.get("private_key")
    return IssuedCertificate(
        certificate=cert,
        serial=normalise_serial(str(data.get("serial_number") or cert.serial)),
        private_key_type=str(data.get("private_key_type") or ""),
        issuing_ca=str(data.get("issuing_ca") or ""),
        ca_chain=tuple(str(c) for c in chain) if isinstance(chain, list) else (),
        private_key=_MaskedText(key if isinstance(key, str) else ""),
    )


def revoke_certificate(gateway: Gateway, mount: str, serial: str) -> RevokedCertificate:
    """``POST <mount>/revoke``. Revoking an already-revoked certificate is not an error on the
    server; it answers with the original revocation time."""
    ensure_writable(gateway, "revoking a certificate")
    serial = normalise_serial(serial)
    where = f"{_m(mount)}/revoke"
    data = gateway.data(gateway.request("POST", where, json={"serial_number": serial}), where)
    return RevokedCertificate(
        mount=_m(mount) + "/",
        serial=serial,
        revocation_time=_revocation_time(data),
        state=str(data.get("state") or "revoked"),
    )
