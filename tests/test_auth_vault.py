"""Sign-in methods against the real OpenBao dev server (LDAP and Kubernetes: see notes below)."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import unique
from vault_tui.demo.servers import free_port
from vault_tui.vault import auth
from vault_tui.vault.auth import (
    CredentialFileError,
    LoginFailed,
    LoginRequest,
    login,
    login_approle,
    login_jwt,
    login_kubernetes,
    login_ldap,
    login_token,
    login_userpass,
    normalise_mount,
    read_jwt_file,
    unwrap_secret_id,
)
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import InvalidRequest, Unreachable
from vault_tui.vault.gateway import Gateway


@pytest.fixture
def anon(bao) -> Gateway:
    """A gateway with no token, as the app has before sign-in."""
    return Gateway(ConnectionSettings(addr=bao.addr))


@pytest.fixture
def policy(root_client):
    name = unique("pol-")
    root_client.sys.create_or_update_policy(name, 'path "secret/*" { capabilities = ["read"] }')
    yield name
    root_client.sys.delete_policy(name)


@pytest.fixture
def auth_mount(root_client):
    mounts = []

    def enable(method: str) -> str:
        path = unique(f"{method}-")
        root_client.sys.enable_auth_method(method, path=path)
        mounts.append(path)
        return path

    yield enable
    for path in mounts:
        root_client.sys.disable_auth_method(path)


# -- token ------------------------------------------------------------------------------------
def test_token_login(anon, root_client, policy):
    created = root_client.auth.token.create(policies=[policy], ttl="10m", display_name="tester")
    value = created["auth"]["client_token"]
    result = login_token(anon, value)
    assert result.client_token == value
    assert policy in result.token.policies
    assert result.token.display_name == "token-tester"
    assert result.token.expire_time is not None
    # the shared gateway was not changed
    assert anon.settings.token is None
    assert value not in repr(result)


def test_token_login_bad_token(anon):
    with pytest.raises(LoginFailed) as info:
        login_token(anon, "s.not-a-real-token")
    assert "invalid" in str(info.value)


def test_token_login_empty(anon):
    with pytest.raises(InvalidRequest, match="token is required"):
        login_token(anon, "  ")


# -- approle ----------------------------------------------------------------------------------
@pytest.fixture
def approle(root_client, auth_mount, policy):
    mount = auth_mount("approle")
    root_client.write(f"auth/{mount}/role/app", token_policies=[policy], token_ttl="5m")
    role_id = root_client.read(f"auth/{mount}/role/app/role-id")["data"]["role_id"]
    return mount, role_id


def test_approle_plain_secret_id(anon, root_client, approle, policy):
    mount, role_id = approle
    secret_id = root_client.write(f"auth/{mount}/role/app/secret-id")["data"]["secret_id"]
    result = login_approle(anon, role_id, secret_id, mount=mount)
    assert policy in result.token.policies
    assert result.method == "approle" and result.mount == mount
    assert result.secret_id == secret_id
    assert secret_id not in repr(result) and result.client_token not in repr(result)


def test_approle_wrapped_secret_id(anon, root_client, approle, policy):
    mount, role_id = approle
    wrapped = root_client.adapter.post(f"/v1/auth/{mount}/role/app/secret-id", headers={"X-Vault-Wrap-TTL": "120s"})
    wrapping_token = wrapped["wrap_info"]["token"]
    result = login_approle(anon, role_id, wrapped_secret_id=wrapping_token, mount=f"auth/{mount}/")
    assert policy in result.token.policies
    # the unwrapped secret_id is handed back so it can be remembered...
    assert result.secret_id and result.secret_id != wrapping_token
    # ...and it works on its own
    again = login_approle(anon, role_id, result.secret_id, mount=mount)
    assert again.client_token != result.client_token
    # a wrapping token is single-use: Vault's reason is shown
    with pytest.raises(LoginFailed) as info:
        unwrap_secret_id(anon, wrapping_token)
    assert "wrapping token" in str(info.value).lower() or "invalid" in str(info.value).lower()


def test_approle_wrapped_response_that_is_not_a_secret_id(anon, root_client):
    wrapped = root_client.adapter.post(
        "/v1/sys/wrapping/wrap", json={"hello": "world"}, headers={"X-Vault-Wrap-TTL": "60s"}
    )
    with pytest.raises(LoginFailed, match="does not contain an AppRole secret_id"):
        unwrap_secret_id(anon, wrapped["wrap_info"]["token"])


def test_approle_bad_secret_id_shows_vault_reason(anon, approle):
    mount, role_id = approle
    with pytest.raises(LoginFailed) as info:
        login_approle(anon, role_id, "wrong-secret-id", mount=mount)
    assert str(info.value) == "invalid role or secret ID"
    assert "wrong-secret-id" not in str(info.value)


def test_approle_wrong_mount(anon, approle):
    _, role_id = approle
    with pytest.raises(LoginFailed):
        login_approle(anon, role_id, "x", mount=unique("nope-"))


# -- userpass ---------------------------------------------------------------------------------
@pytest.fixture
def userpass(root_client, auth_mount, policy):
    mount = auth_mount("userpass")
    root_client.write(f"auth/{mount}/users/alice", password="s3cret pw", token_policies=[policy])
    return mount


def test_userpass_login(anon, userpass, policy):
    result = login_userpass(anon, "alice", "s3cret pw", mount=userpass)
    assert policy in result.token.policies
    assert "alice" in result.token.display_name


def test_userpass_wrong_password(anon, userpass):
    with pytest.raises(LoginFailed) as info:
        login_userpass(anon, "alice", "nope", mount=userpass)
    assert str(info.value) == "invalid username or password"
    assert info.value.status == 400


def test_userpass_hostile_username_is_quoted(anon, userpass):
    # A username with path characters must not escape the login path.
    with pytest.raises(LoginFailed):
        login_userpass(anon, "../../sys/seal", "x", mount=userpass)


def test_login_ignores_a_stale_session_token(bao, userpass, policy):
    stale = Gateway(ConnectionSettings(addr=bao.addr, token="s.expired-long-ago"))
    result = login_userpass(stale, "alice", "s3cret pw", mount=userpass)
    assert policy in result.token.policies
    assert stale.settings.token == "s.expired-long-ago"


def test_dispatcher(anon, userpass, policy):
    request = LoginRequest("userpass", mount=userpass, username="alice", password="s3cret pw")
    assert "s3cret" not in repr(request)
    assert policy in login(anon, request).token.policies
    with pytest.raises(InvalidRequest, match="unknown sign-in method"):
        login(anon, LoginRequest("kerberos"))


# -- JWT with a locally generated key pair ------------------------------------------------------
@pytest.fixture(scope="module")
def keypair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, public


def _jwt(key, **claims) -> str:
    now = int(time.time())
    body = {"sub": "ci-runner", "aud": "vault-tui", "iat": now, "nbf": now - 5, "exp": now + 300}
    body.update(claims)
    return pyjwt.encode(body, key, algorithm="RS256")


def test_jwt_login(anon, root_client, auth_mount, policy, keypair):
    key, public = keypair
    mount = auth_mount("jwt")
    root_client.write(f"auth/{mount}/config", jwt_validation_pubkeys=[public])
    root_client.write(
        f"auth/{mount}/role/ci",
        role_type="jwt",
        user_claim="sub",
        bound_audiences=["vault-tui"],
        token_policies=[policy],
        token_ttl="5m",
    )
    result = login_jwt(anon, "ci", _jwt(key), mount=mount)
    assert policy in result.token.policies

    # wrong audience: Vault's reason comes through
    with pytest.raises(LoginFailed) as info:
        login_jwt(anon, "ci", _jwt(key, aud="someone-else"), mount=mount)
    assert "aud" in str(info.value).lower() or "audience" in str(info.value).lower()

    # signed by another key
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(LoginFailed):
        login_jwt(anon, "ci", _jwt(other), mount=mount)


def _self_signed_ca(key) -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# -- Kubernetes: unit-level (no cluster); the file reading is what we own --------------------------
def test_read_jwt_file(tmp_path, keypair):
    key, _ = keypair
    token = _jwt(key)
    path = tmp_path / "token"
    path.write_text(token + "\n")
    assert read_jwt_file(path) == token


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "no service-account token"),
        (b"", "is empty"),
        (b"not a jwt", "does not contain a JWT"),
        (b"\xff\xfe", "not text"),
        (b"a" * (70 * 1024), "too large"),
    ],
)
def test_read_jwt_file_problems(tmp_path, content, problem):
    path = tmp_path / "token"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CredentialFileError, match=problem):
        read_jwt_file(path)


def test_read_jwt_file_directory(tmp_path):
    with pytest.raises(CredentialFileError, match="directory"):
        read_jwt_file(tmp_path)


def test_default_kubernetes_path():
    assert auth.DEFAULT_K8S_JWT_PATH == "/var/run/secrets/kubernetes.io/serviceaccount/token"
    assert LoginRequest("kubernetes").effective_mount == "kubernetes"


def test_kubernetes_login_reaches_the_mount(anon, root_client, auth_mount, tmp_path, keypair):
    """No cluster here: the server is pointed at a closed loopback port, so it cannot review the
    token. What we check is that the JWT from the file reaches the configured mount and that the
    server's reason (not a crash) comes back."""
    key, _ = keypair
    mount = auth_mount("kubernetes")
    root_client.write(
        f"auth/{mount}/config",
        kubernetes_host=f"https://127.0.0.1:{free_port()}",
        kubernetes_ca_cert=_self_signed_ca(key),
        disable_local_ca_jwt=True,
    )
    root_client.write(
        f"auth/{mount}/role/web",
        bound_service_account_names=["web"],
        bound_service_account_namespaces=["default"],
        token_policies=["default"],
    )
    path = tmp_path / "token"
    path.write_text(_jwt(key, iss="kubernetes/serviceaccount"))
    with pytest.raises(LoginFailed) as info:
        login_kubernetes(anon, "web", jwt_path=path, mount=mount)
    assert str(info.value)
    with pytest.raises(CredentialFileError):
        login_kubernetes(anon, "web", jwt_path=tmp_path / "missing", mount=mount)


# -- LDAP: unit-level (OpenBao's dev server has no LDAP plugin in its catalog, no LDAP server) -----
def test_ldap_login_unit(anon, monkeypatch):
    calls = []

    def fake_post(gateway, path, payload, *, token=None):
        calls.append((path, payload, token))
        return {"auth": {"client_token": "tok"}}

    monkeypatch.setattr(auth, "_post", fake_post)
    monkeypatch.setattr(auth, "_token_info", lambda gateway, token: "INFO")
    result = login_ldap(anon, "bob/../x", "pw", mount="corp-ldap/")
    assert calls == [("auth/corp-ldap/login/bob%2F..%2Fx", {"password": "pw"}, None)]
    assert result.token == "INFO" and result.method == "ldap" and result.mount == "corp-ldap"


def test_ldap_against_server_without_plugin(anon):
    with pytest.raises(LoginFailed):
        login_ldap(anon, "bob", "pw", mount=unique("ldap-"))


# -- misc ---------------------------------------------------------------------------------------
def test_normalise_mount():
    assert normalise_mount("auth/team/approle/") == "team/approle"
    for bad in ("", "/", "a/../b", "a b", "x?y"):
        with pytest.raises(InvalidRequest):
            normalise_mount(bad)


def test_unreachable_server_is_not_a_login_failure():
    dead = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{free_port()}", timeout=2))
    with pytest.raises(Unreachable):
        login_userpass(dead, "alice", "pw")
