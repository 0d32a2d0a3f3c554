"""The PKI Vault layer against a real OpenBao PKI mount set up by each test."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import unique

from vault_tui.vault import pki, pki_models
from vault_tui.vault.errors import InvalidRequest, MalformedResponse, PermissionDenied, ReadOnlyMode
from vault_tui.vault.gateway import Gateway

ROOT_CN = "vault-tui Test Root"


@pytest.fixture
def pki_mount(root_client):
    """A fresh PKI mount with an EC root CA and roles ``web`` (EC) and ``rsa`` (RSA 2048)."""
    mount = unique("pki-")
    root_client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    root_client.write(
        f"{mount}/root/generate/internal",
        common_name=ROOT_CN,
        issuer_name="test-root",
        ttl="87600h",
        key_type="ec",
        key_bits=256,
    )
    root_client.write(
        f"{mount}/roles/web",
        allowed_domains="example.test",
        allow_subdomains=True,
        allow_ip_sans=True,
        allowed_uri_sans="spiffe://example.test/*",
        max_ttl="2160h",
        key_type="ec",
        key_bits=256,
    )
    root_client.write(
        f"{mount}/roles/rsa",
        allowed_domains="example.test",
        allow_subdomains=True,
        max_ttl="720h",
        key_type="rsa",
        key_bits=2048,
    )
    yield mount
    root_client.sys.disable_secrets_engine(mount)


def _issue(root_client, mount: str, cn: str, ttl: str, **extra) -> str:
    body = root_client.write(f"{mount}/issue/web", common_name=cn, ttl=ttl, **extra)
    return body["data"]["serial_number"]


def test_certificates_sorted_by_expiry_with_dates_sans_and_issuer(gateway, root_client, pki_mount):
    before = datetime.now(UTC)
    long_serial = _issue(root_client, pki_mount, "long.example.test", "720h")
    short_serial = _issue(
        root_client,
        pki_mount,
        "short.example.test",
        "72h",
        alt_names="alt.example.test,other.example.test",
        ip_sans="192.0.2.7,2001:db8::7",
        uri_sans="spiffe://example.test/svc",
    )
    mid_serial = _issue(root_client, pki_mount, "mid.example.test", "240h")
    after = datetime.now(UTC)

    inv = pki.inventory(gateway, pki_mount, now=after)
    assert inv.problems == () and not inv.cancelled
    assert inv.mount == pki_mount + "/"
    names = [c.common_name for c in inv.certificates]
    # Sorted by expiry: 72 h, 240 h, 720 h, then the 10-year root.
    assert names == ["short.example.test", "mid.example.test", "long.example.test", ROOT_CN]
    short, mid, long_, root = inv.certificates
    assert (short.serial, mid.serial, long_.serial) == (short_serial, mid_serial, long_serial)

    for cert, hours in ((short, 72), (mid, 240), (long_, 720)):
        assert before + timedelta(hours=hours) - timedelta(seconds=5) <= cert.not_after
        assert cert.not_after <= after + timedelta(hours=hours) + timedelta(seconds=5)
        assert cert.not_before <= before  # backdated by the role's not_before_duration
        assert cert.issuer_cn == ROOT_CN and not cert.is_ca and not cert.revoked and not cert.is_issuer
        assert cert.key_type == "EC" and cert.key_bits == 256
        assert cert.signature_algorithm == "ECDSA-SHA256"
        assert cert.signed_by_issuer_id == root.issuer_ref
    assert short.authority_key_id == root.subject_key_id != ""
    assert short.days_left == 2 and mid.days_left == 9 and long_.days_left == 29
    assert short.days_left_at(short.not_after - timedelta(days=5, hours=1)) == 5
    assert short.days_left_at(short.not_after + timedelta(hours=1)) == -1
    assert short.dns_names == ("short.example.test", "alt.example.test", "other.example.test")
    assert short.ip_addresses == ("192.0.2.7", "2001:db8::7")
    assert short.uris == ("spiffe://example.test/svc",)
    assert short.sans[:3] == short.dns_names and "192.0.2.7" in short.sans

    # The root is the mount's issuer, self-signed, a CA, the default.
    assert root.is_issuer and root.is_ca and root.self_signed and root.default_issuer
    assert root.issuer_name == "test-root"
    assert inv.issuers == (root,)
    assert root.days_left > 3600

    # The fingerprint is SHA-256 of the DER, the PEM is the certificate itself.
    der = base64.b64decode("".join(short.pem.strip().splitlines()[1:-1]))
    assert short.fingerprint_sha256 == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert short.pem.startswith("-----BEGIN CERTIFICATE-----")
    assert [c.common_name for c in inv.expiring_within(5, after)] == ["short.example.test"]

    row = pki_models.certificate_row(short, now=after)
    assert tuple(row) == pki_models.CERT_EXPORT_COLUMNS
    assert row["serial"] == short_serial and row["days_left"] == "2" and row["revoked"] == "no"
    assert row["sans"].split() == list(short.sans) and row["issuer"] == ROOT_CN
    assert row["not_after"].endswith("Z") and row["key"] == "EC 256"


def test_issue_and_revoke(gateway, pki_mount):
    issued = pki.issue_certificate(
        gateway, pki_mount, "web", "app.example.test", alt_names=["www.example.test"], ip_sans="192.0.2.9", ttl="48h"
    )
    cert = issued.certificate
    assert cert.common_name == "app.example.test"
    assert cert.dns_names == ("app.example.test", "www.example.test")
    assert cert.ip_addresses == ("192.0.2.9",)
    assert issued.serial == cert.serial
    assert issued.issuing_ca.startswith("-----BEGIN CERTIFICATE-----")
    assert issued.private_key_type == "ec"
    key = str(issued.private_key)
    assert key.startswith("-----BEGIN") and "PRIVATE KEY" in key
    for text in (repr(issued), str(issued), repr(issued.private_key), f"{issued!r}"):
        assert key not in text and "PRIVATE KEY" not in text
    assert "<masked>" in repr(issued)
    assert 47 * 3600 < cert.remaining(datetime.now(UTC)) <= 48 * 3600

    listed = pki.list_serials(gateway, pki_mount)
    assert issued.serial in listed
    assert pki.list_revoked_serials(gateway, pki_mount) == ()

    revoked = pki.revoke_certificate(gateway, pki_mount, issued.serial.upper().replace(":", "-"))
    assert revoked.serial == issued.serial and revoked.state == "revoked"
    assert revoked.revocation_time is not None
    assert abs((revoked.revocation_time - datetime.now(UTC)).total_seconds()) < 60
    assert pki.list_revoked_serials(gateway, pki_mount) == (issued.serial,)

    again = pki.read_certificate(gateway, pki_mount, issued.serial)
    assert again.revoked and again.revocation_time == revoked.revocation_time
    inv = pki.inventory(gateway, pki_mount)
    (row,) = [c for c in inv.certificates if c.serial == issued.serial]
    assert row.revoked and row.state == "revoked"


def test_rsa_certificate_details(gateway, pki_mount):
    issued = pki.issue_certificate(gateway, pki_mount, "rsa", "rsa.example.test", ttl="24h")
    cert = issued.certificate
    assert (cert.key_type, cert.key_bits) == ("RSA", 2048)
    assert cert.signature_algorithm == "ECDSA-SHA256"  # signed by the EC root
    assert issued.private_key_type == "rsa"


def test_roles_listed_and_read(gateway, pki_mount):
    assert pki.list_roles(gateway, pki_mount) == ("rsa", "web")
    role = pki.read_role(gateway, pki_mount, "web")
    assert role.mount == pki_mount + "/" and role.name == "web"
    assert role.allowed_domains == ("example.test",)
    assert role.allow_subdomains and role.allow_ip_sans and not role.allow_any_name
    assert role.allowed_uri_sans == ("spiffe://example.test/*",)
    assert role.max_ttl == 2160 * 3600 and role.ttl == 0
    assert (role.key_type, role.key_bits) == ("ec", 256)
    rsa = pki.read_role(gateway, pki_mount, "rsa")
    assert (rsa.key_type, rsa.key_bits, rsa.max_ttl) == ("rsa", 2048, 720 * 3600)


def test_read_only_refuses_issue_and_revoke(settings, root_client, pki_mount):
    serial = _issue(root_client, pki_mount, "ro.example.test", "24h")
    ro = Gateway(settings, read_only=True)
    ro.server_info()
    with pytest.raises(ReadOnlyMode):
        pki.issue_certificate(ro, pki_mount, "web", "nope.example.test")
    with pytest.raises(ReadOnlyMode):
        pki.revoke_certificate(ro, pki_mount, serial)
    # Reading still works, and nothing was written.
    inv = pki.inventory(ro, pki_mount)
    assert [c.common_name for c in inv.certificates if not c.is_issuer] == ["ro.example.test"]
    assert not inv.certificates[0].revoked


def test_errors_are_mapped(gateway, pki_mount):
    with pytest.raises(InvalidRequest):
        pki.issue_certificate(gateway, pki_mount, "web", "evil.other.test")  # not an allowed domain
    with pytest.raises(InvalidRequest):
        pki.issue_certificate(gateway, pki_mount, "web", "")
    with pytest.raises(InvalidRequest):
        pki.issue_certificate(gateway, pki_mount, "../web", "a.example.test")
    with pytest.raises(InvalidRequest):
        pki.read_certificate(gateway, pki_mount, "not-a-serial")
    with pytest.raises(InvalidRequest):
        pki.inventory(gateway, "../secret")


def test_forbidden_reads_become_problems(bao, root_client, pki_mount):
    serial = _issue(root_client, pki_mount, "hidden.example.test", "24h")
    token = root_client.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
    from vault_tui.vault.client import ConnectionSettings

    limited = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    limited.server_info()
    inv = pki.inventory(limited, pki_mount)
    assert inv.certificates == ()
    assert inv.problems == (
        f"could not read the issuers of {pki_mount}/: permission denied",
        f"could not read the certificate list of {pki_mount}/: permission denied",
        f"could not read the revoked certificate list of {pki_mount}/: permission denied",
    )
    with pytest.raises(PermissionDenied):
        pki.list_roles(limited, pki_mount)
    # Reading one certificate by serial is an unauthenticated path on the server.
    assert pki.read_certificate(limited, pki_mount, serial).common_name == "hidden.example.test"


def test_many_certificates_read_with_bounded_concurrency(gateway, root_client, pki_mount):
    serials = [_issue(root_client, pki_mount, f"n{i}.example.test", f"{100 + i}h") for i in range(12)]
    seen: list[tuple[int, int]] = []
    certs, failures, cancelled = pki.read_certificates(
        gateway, pki_mount, serials, workers=3, progress=lambda d, t: seen.append((d, t))
    )
    assert failures == () and not cancelled
    assert [c.serial for c in certs] == serials
    assert seen[0] == (0, 12) and seen[-1] == (12, 12)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# -- pure helpers ---------------------------------------------------------------------------------


def test_bounded_map_limits_concurrency_and_stops_on_cancel():
    cancel = threading.Event()
    lock = threading.Lock()
    running = 0
    peak = 0

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        if n == 5:
            cancel.set()
        with lock:
            running -= 1
        if n == 3:
            raise ValueError("three")
        return n * 2

    results, cancelled = pki.bounded_map(work, list(range(40)), workers=3, cancel=cancel)
    assert cancelled and peak <= 3
    assert len(results) < 40
    assert dict(results)[0] == 0 and isinstance(dict(results)[3], ValueError)
    assert pki.bounded_map(work, [], workers=3) == ([], False)


def test_normalise_serial_and_bad_pem():
    assert pki_models.normalise_serial(" 0A-AB-77 ") == "0a:ab:77"
    assert pki_models.normalise_serial("1:ff") == "1:ff"
    for bad in ("", "zz", "0a::ab", "0a/ab", "../x"):
        with pytest.raises(InvalidRequest):
            pki_models.normalise_serial(bad)
    with pytest.raises(MalformedResponse):
        pki_models.parse_certificate("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----")
