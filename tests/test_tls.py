"""TLS against a real ``bao server -dev-tls`` (it writes its own CA)."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import pytest

from tests.conftest import unique
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.auth import login_userpass
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import TLSFailure
from vault_tui.vault.gateway import Gateway


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
            for _ in range(100):
                if app.session.ready:
                    break
                await pilot.pause(0.05)
            assert app.session.ready
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
        for _ in range(100):
            if any(isinstance(m, ConnectFailed) for m in seen):
                break
            await pilot.pause(0.05)
        await pilot.pause()
        failed = [m for m in seen if isinstance(m, ConnectFailed)]
        assert failed and isinstance(failed[0].error, TLSFailure)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "certificate not trusted" in text and "VAULT_CACERT" in text
