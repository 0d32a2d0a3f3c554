"""TLS against a real ``bao server -dev-tls`` (it writes its own CA).

The dev certificate names localhost, 127.0.0.1 and a few other local names; its CA is in no
system store, so it doubles as "a server the system does not trust".
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import warnings
from dataclasses import replace

import pytest

from tests.conftest import unique
from tests.helpers import wait_for
from vault_tui.config import AppConfig, connection_from_environment
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.auth import login_userpass
from vault_tui.vault.client import ConnectionSettings, build_client
from vault_tui.vault.errors import TLSFailure
from vault_tui.vault.gateway import Gateway

LIMIT = 60.0  # generous waits: the suite must pass on a busy machine


@pytest.fixture(scope="module")
def tls_bao():
    server = BaoServer(tls=True).start()
    yield server
    server.stop()


def test_with_ca_cert_works(tls_bao):
    assert tls_bao.addr.startswith("https://") and tls_bao.ca_cert
    gateway = Gateway(ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token, ca_cert=tls_bao.ca_cert))
    assert gateway.server_info().flavor == "OpenBao"
    assert "root" in gateway.lookup_self().policies


def test_without_ca_fails_clearly(tls_bao):
    gateway = Gateway(ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token))
    with pytest.raises(TLSFailure) as info:
        gateway.server_info()
    message = str(info.value)
    assert message.startswith("certificate not trusted")
    assert "VAULT_CACERT" in message and "ca_cert" in message
    assert tls_bao.root_token not in message


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to build a hashed CA dir")
def test_with_ca_path_works(tls_bao, tmp_path):
    ca_dir = tmp_path / "cas"
    ca_dir.mkdir()
    shutil.copy(tls_bao.ca_cert, ca_dir / "vault-ca.pem")
    subprocess.run(["openssl", "rehash", str(ca_dir)], check=True, capture_output=True)
    gateway = Gateway(ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token, ca_path=str(ca_dir)))
    assert not gateway.server_info().sealed


def test_skip_verify_works(tls_bao):
    gateway = Gateway(ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token, skip_verify=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not gateway.server_info().sealed


def test_sign_in_over_tls(tls_bao):
    """The "done when" path: userpass sign-in on a TLS server, in a namespace."""
    import hvac

    root = hvac.Client(url=tls_bao.addr, token=tls_bao.root_token, verify=tls_bao.ca_cert)
    namespace = unique("ns-")
    root.adapter.post(f"/v1/sys/namespaces/{namespace}")
    inside = hvac.Client(url=tls_bao.addr, token=tls_bao.root_token, verify=tls_bao.ca_cert, namespace=namespace)
    inside.sys.enable_auth_method("userpass", path="userpass")
    inside.write("auth/userpass/users/alice", password="pw", token_policies=["default"])
    anon = Gateway(ConnectionSettings(addr=tls_bao.addr, ca_cert=tls_bao.ca_cert, namespace=namespace))
    result = login_userpass(anon, "alice", "pw")
    assert "default" in result.token.policies
    # The token belongs to the namespace: it works there.
    inside_gw = Gateway(anon.settings.with_token(result.client_token))
    assert inside_gw.lookup_self().display_name.endswith("userpass-alice")


async def test_skip_verify_shows_a_visible_warning(tls_bao):
    from vault_tui.app import make_app

    settings = ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token, skip_verify=True)
    app = make_app(AppConfig(connection=settings), tick=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        async with app.run_test(size=(160, 36)) as pilot:
            await wait_for(pilot, lambda: app.session.ready, timeout=LIMIT, what="session ready")
            await pilot.pause()
            bar = app.screen.query_one("#session-bar")
            assert "TLS NOT VERIFIED" in str(bar.render())


async def test_untrusted_certificate_in_the_app_names_the_ca_option(tls_bao):
    from vault_tui.app import make_app
    from vault_tui.messages import ConnectFailed

    seen = []
    settings = ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token)
    app = make_app(AppConfig(connection=settings), tick=False)
    async with app.run_test(size=(160, 36), message_hook=seen.append) as pilot:
        failed_seen = lambda: any(isinstance(m, ConnectFailed) for m in seen)  # noqa: E731
        await wait_for(pilot, failed_seen, timeout=LIMIT, what="ConnectFailed")
        await pilot.pause()
        failed = [m for m in seen if isinstance(m, ConnectFailed)]
        assert failed and isinstance(failed[0].error, TLSFailure)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "certificate not trusted" in text and "VAULT_CACERT" in text


# -- trust when no VAULT_CACERT is set: SSL_CERT_FILE / REQUESTS_CA_BUNDLE, then the system store --
def _context(settings: ConnectionSettings) -> ssl.SSLContext | None:
    adapter = build_client(settings).adapter.session.get_adapter("https://x")
    return adapter._ssl_context


def test_system_store_is_used_and_misses_a_private_ca(tls_bao):
    import truststore

    settings = ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token)
    assert isinstance(_context(settings), truststore.SSLContext)
    with pytest.raises(TLSFailure, match="certificate not trusted"):
        Gateway(settings).server_info()


def test_ssl_cert_file_is_trusted(tls_bao):
    settings = connection_from_environment(
        {"VAULT_ADDR": tls_bao.addr, "VAULT_TOKEN": tls_bao.root_token, "SSL_CERT_FILE": tls_bao.ca_cert}
    )
    assert settings.ca_bundle == tls_bao.ca_cert
    assert "root" in Gateway(settings).lookup_self().policies


def test_requests_ca_bundle_is_trusted(tls_bao):
    settings = connection_from_environment(
        {"BAO_ADDR": tls_bao.addr, "BAO_TOKEN": tls_bao.root_token, "REQUESTS_CA_BUNDLE": tls_bao.ca_cert}
    )
    assert not Gateway(settings).server_info().sealed


def test_ssl_cert_file_replaces_the_system_store(tls_bao, tmp_path):
    other = tmp_path / "other-ca.pem"
    _make_ca(other)
    settings = ConnectionSettings(addr=tls_bao.addr, ca_bundle=str(other))
    with pytest.raises(TLSFailure):
        Gateway(settings).server_info()


def test_vault_cacert_wins_over_ssl_cert_file(tls_bao, tmp_path):
    other = tmp_path / "other-ca.pem"
    _make_ca(other)
    # VAULT_CACERT names the wrong CA: SSL_CERT_FILE (the right one) is not consulted.
    wrong_first = connection_from_environment(
        {"VAULT_ADDR": tls_bao.addr, "VAULT_CACERT": str(other), "SSL_CERT_FILE": tls_bao.ca_cert}
    )
    with pytest.raises(TLSFailure):
        Gateway(wrong_first).server_info()
    right_first = connection_from_environment(
        {"VAULT_ADDR": tls_bao.addr, "VAULT_CACERT": tls_bao.ca_cert, "SSL_CERT_FILE": str(other)}
    )
    assert not Gateway(right_first).server_info().sealed


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to build a hashed CA dir")
def test_vault_capath_wins_over_ssl_cert_file(tls_bao, tmp_path):
    other = tmp_path / "other-ca.pem"
    _make_ca(other)
    ca_dir = tmp_path / "cas"
    ca_dir.mkdir()
    shutil.copy(tls_bao.ca_cert, ca_dir / "vault-ca.pem")
    subprocess.run(["openssl", "rehash", str(ca_dir)], check=True, capture_output=True)
    settings = ConnectionSettings(addr=tls_bao.addr, ca_path=str(ca_dir), ca_bundle=str(other))
    assert not Gateway(settings).server_info().sealed


def test_a_missing_ca_file_is_named(tls_bao, tmp_path):
    missing = tmp_path / "nope.pem"
    with pytest.raises(TLSFailure, match="nope.pem") as info:
        Gateway(ConnectionSettings(addr=tls_bao.addr, ca_cert=str(missing))).server_info()
    assert "VAULT_CACERT" in str(info.value)
    with pytest.raises(TLSFailure, match="SSL_CERT_FILE"):
        Gateway(ConnectionSettings(addr=tls_bao.addr, ca_bundle=str(missing))).server_info()


def test_the_system_store_reads_openssl_default_paths(tls_bao, monkeypatch):
    """With no CA setting, OpenSSL's own default paths (which honour SSL_CERT_FILE in the process
    environment) are the system store truststore uses on Linux: the bao CA put there is trusted."""
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("the OS trust store is not OpenSSL's default paths here")
    monkeypatch.setenv("SSL_CERT_FILE", tls_bao.ca_cert)
    settings = ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token)
    assert "root" in Gateway(settings).lookup_self().policies


# -- VAULT_TLS_SERVER_NAME ------------------------------------------------------------------------
def test_tls_server_name_is_what_the_certificate_is_checked_against(tls_bao):
    base = ConnectionSettings(addr=tls_bao.addr, token=tls_bao.root_token, ca_cert=tls_bao.ca_cert)
    assert not Gateway(replace(base, tls_server_name="localhost")).server_info().sealed
    with pytest.raises(TLSFailure):
        Gateway(replace(base, tls_server_name="vault.not-on-the-certificate.example")).server_info()


def test_tls_server_name_from_the_environment(tls_bao):
    settings = connection_from_environment(
        {
            "BAO_ADDR": tls_bao.addr,
            "BAO_CACERT": tls_bao.ca_cert,
            "BAO_TLS_SERVER_NAME": "somewhere-else.example",
        }
    )
    assert settings.tls_server_name == "somewhere-else.example"
    with pytest.raises(TLSFailure):
        Gateway(settings).server_info()


def test_tls_server_name_with_skip_verify_still_connects(tls_bao):
    settings = ConnectionSettings(addr=tls_bao.addr, skip_verify=True, tls_server_name="anything.example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not Gateway(settings).server_info().sealed


def _make_ca(path) -> None:
    """A self-signed CA certificate that signed nothing the server uses."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "some other CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
