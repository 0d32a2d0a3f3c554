"""Seed a fresh OpenBao dev server (and optionally PostgreSQL) with realistic demo data.

Every value here is an obviously fake demo value (``demo-not-a-real-...``). Nothing resembles a
real credential format, so secret scanners stay quiet and nobody mistakes the demo for production.

The data is deterministic (a fixed random seed), so screenshots made from it are stable apart
from timestamps and lease countdowns.

What gets seeded:

* ``secret/`` (KV v2, from dev mode): about 200 secrets in a ``team/app/env/name`` tree, some with
  many versions, some versions soft-deleted, exactly one version destroyed, some custom_metadata,
  one secret with cas_required in its own metadata, and ``qa/`` entries with hostile names/values.
* ``ops-kv/`` (KV v2) whose mount config has ``cas_required=true``.
* ``legacy/`` (KV v1).
* ``transit/`` with an ``aes256-gcm96`` key ``payments`` (rotated twice) and an ``ed25519`` key
  ``release-signing``.
* ``database/`` wired to the PostgreSQL (when there is one), roles ``readonly`` and ``readwrite``
  (each with revocation statements, so revoking their leases drops the PostgreSQL user), and three
  issued credentials (live leases; two shortened to 10 minutes).
* ``pki/`` with a root CA and ``pki_int/`` with an intermediate CA signed by it, a role
  ``demo-internal`` and a few certificates: one expiring in 2 days, one in 10 days, one revoked.
  EC P-256 keys keep this fast.
* Token leases: child tokens with 30m/2h/8h TTLs and a ``userpass/`` login of user ``alice``.
* Policies ``demo-reader``, ``payments-dev`` and ``ops-admin``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import hvac

if TYPE_CHECKING:  # pragma: no cover
    from .servers import PostgresServer

KV2_MOUNT = "secret"
CAS_MOUNT = "ops-kv"
KV1_MOUNT = "legacy"
TRANSIT_MOUNT = "transit"
DATABASE_MOUNT = "database"
USERPASS_MOUNT = "userpass"


def wait_for_kv2(client: hvac.Client, mount: str, timeout: float = 60.0) -> None:
    """A new KV v2 mount upgrades itself in the background ("Upgrading from non-versioned to
    versioned data"); on a busy machine the first calls can land before it is done. Wait."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.secrets.kv.v2.read_configuration(mount_point=mount)
            return
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.InternalServerError, hvac.exceptions.VaultDown):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


TEAMS: dict[str, tuple[str, ...]] = {
    "payments": ("checkout", "ledger", "refunds"),
    "identity": ("login", "sso"),
    "search": ("indexer", "query"),
    "platform": ("gateway", "ci-runner", "observability"),
    "data": ("warehouse", "pipeline", "reporting"),
}
ENVS = ("dev", "staging", "prod")
SECRET_NAMES = ("db", "api-keys", "tls", "oauth", "smtp", "feature-flags")

# Well-known entries, so tests, the README and the screenshot script can point at them.
MANY_VERSIONS_PATH = "payments/checkout/prod/db"  # 8 versions, v2 destroyed, v3 soft-deleted
DESTROYED_VERSION = (MANY_VERSIONS_PATH, 2)
SOFT_DELETED_VERSIONS = ((MANY_VERSIONS_PATH, 3), ("identity/login/prod/oauth", 6))
LATEST_DELETED_PATH = "identity/login/prod/oauth"  # its current version (6) is soft-deleted
PRUNED_PATH = "platform/gateway/prod/tls"  # 12 versions written, max_versions 10 prunes 1-2
SECRET_CAS_PATH = "payments/ledger/prod/db"  # cas_required in the secret's own metadata
HOSTILE_PATH = "qa/hostile"
HOSTILE_NAME_PATH = "qa/[red]not markup[@click=app.quit]"
HOSTILE_SLASH_PATH = "qa/a[/]b"  # the folder ``a[`` with the secret ``]b``
TRANSIT_KEYS = ("payments", "release-signing")
DATABASE_ROLES = ("readonly", "readwrite")
PKI_ROOT_MOUNT = "pki"
PKI_INT_MOUNT = "pki_int"
PKI_ROLE = "demo-internal"
PKI_ROOT_CN = "vault-tui Demo Root CA"
PKI_INT_CN = "vault-tui Demo Intermediate CA"
# (common name, TTL, DNS alt names, IP SANs): issued from PKI_ROLE on PKI_INT_MOUNT.
PKI_CERTS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("api.demo.internal", "2160h", ("api-v2.demo.internal",), ("192.0.2.10",)),
    ("vpn.demo.internal", "1440h", (), ("192.0.2.20",)),
    ("checkout.demo.internal", "240h", ("pay.demo.internal",), ()),  # 10 days
    ("grafana.demo.internal", "48h", (), ()),  # 2 days: close to expiry
    ("legacy-portal.demo.internal", "720h", (), ()),  # revoked
)
PKI_EXPIRING_CN = "grafana.demo.internal"
PKI_REVOKED_CN = "legacy-portal.demo.internal"
DEMO_USER = "alice"
DEMO_USER_PASSWORD = "demo-not-a-real-password-alice"

ESC = "\x1b"
BEL = "\x07"
HOSTILE_DATA = {
    "[red]not markup[/red]": f"{ESC}[31mred via ANSI{ESC}[0m and a bell{BEL}",
    "[@click=app.quit]": "[link=http://example.invalid]click me[/link]",
    "osc-title": f"{ESC}]0;pwned window title{BEL}",
    "[/foo]": "[/foo] [b]bold?[/b]",
    "rtl\u202eevil": "zero\u200bwidth\u200bspaces and \u202eright-to-left",
    "c1-controls": "next-line\x85 csi\x9b31m",
}


def _hex(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _password(rng: random.Random) -> str:
    return f"demo-not-a-real-password-{_hex(rng, 4)}"


def _secret_value(rng: random.Random, team: str, app: str, env: str, name: str) -> dict[str, str]:
    host_env = "" if env == "prod" else f".{env}"
    if name == "db":
        return {
            "host": f"{app}-db{host_env}.demo.internal",
            "port": "5432",
            "database": app.replace("-", "_"),
            "username": f"{app.replace('-', '_')}_svc",
            "password": _password(rng),
        }
    if name == "api-keys":
        return {
            "payments_provider": f"demo-apikey-{_hex(rng, 16)}",
            "maps": f"demo-apikey-{_hex(rng, 16)}",
            "webhook_signing": f"demo-not-a-real-signing-secret-{_hex(rng, 6)}",
        }
    if name == "tls":
        return {
            "common_name": f"{app}{host_env}.demo.internal",
            "certificate": f"demo certificate placeholder for {app} ({env}), not a real PEM",
            "key": f"demo-not-a-real-key-{_hex(rng, 12)}",
            "expires": f"2027-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        }
    if name == "oauth":
        return {
            "client_id": f"{app}-{env}-demo-client",
            "client_secret": f"demo-not-a-real-secret-{_hex(rng, 10)}",
            "issuer": f"https://sso{host_env}.demo.internal/realms/{team}",
            "redirect_uri": f"https://{app}{host_env}.demo.internal/callback",
        }
    if name == "smtp":
        return {
            "host": f"smtp{host_env}.demo.internal",
            "port": "587",
            "username": f"{app}@demo.internal",
            "password": _password(rng),
            "from": f"no-reply+{team}@demo.internal",
        }
    # feature-flags
    return {
        "new_checkout_flow": rng.choice(["true", "false"]),
        "dark_mode": rng.choice(["true", "false"]),
        "rollout_percent": str(rng.choice([0, 5, 25, 50, 100])),
        "kill_switch": "false",
    }


def _kv2_tree(rng: random.Random) -> dict[str, dict[str, str]]:
    """``path -> data`` for the team/app/env tree: each app has five of the six secret names."""
    tree: dict[str, dict[str, str]] = {}
    for team, apps in TEAMS.items():
        for app in apps:
            skipped = rng.choice(SECRET_NAMES[1:])  # every app keeps its db secret
            for env in ENVS:
                for name in SECRET_NAMES:
                    if name == skipped:
                        continue
                    tree[f"{team}/{app}/{env}/{name}"] = _secret_value(rng, team, app, env, name)
    return tree


def _rotate(data: dict[str, str], rng: random.Random, version: int) -> dict[str, str]:
    """The next version of a secret: a changed credential, sometimes an added or removed key."""
    new = dict(data)
    for key in ("password", "client_secret", "key", "webhook_signing"):
        if key in new:
            new[key] = f"demo-not-a-real-{key.replace('_', '-')}-v{version}-{_hex(rng, 4)}"
            break
    else:
        first = sorted(new)[0]
        new[first] = f"{new[first]}-v{version}"
    if version % 3 == 0:
        new["rotated_by"] = rng.choice(["rotation-bot", "alice", "bob", "ci"])
    elif version % 4 == 0:
        new.pop("rotated_by", None)
    return new


def _kv2_write(client: hvac.Client, mount: str, path: str, data: dict[str, Any], cas: int | None) -> None:
    client.secrets.kv.v2.create_or_update_secret(path, secret=data, cas=cas, mount_point=mount)


def _seed_kv2(client: hvac.Client, rng: random.Random) -> int:
    """The big ``secret/`` tree. Returns the number of secrets written."""
    tree = _kv2_tree(rng)
    extra_versions: dict[str, int] = {MANY_VERSIONS_PATH: 8, LATEST_DELETED_PATH: 6, PRUNED_PATH: 12}
    candidates = sorted(set(tree) - set(extra_versions))
    for path in rng.sample(candidates, 14):
        extra_versions[path] = rng.randint(5, 11)

    for path, data in tree.items():
        versions = extra_versions.get(path, 1)
        current = data
        for version in range(1, versions + 1):
            if version > 1:
                current = _rotate(current, rng, version)
            _kv2_write(client, KV2_MOUNT, path, current, cas=version - 1)

    # Soft-deletes: the well-known ones, plus an old version of a few other multi-version secrets.
    kv2 = client.secrets.kv.v2
    kv2.delete_secret_versions(MANY_VERSIONS_PATH, versions=[3], mount_point=KV2_MOUNT)
    kv2.delete_secret_versions(LATEST_DELETED_PATH, versions=[6], mount_point=KV2_MOUNT)
    others = sorted(p for p in extra_versions if p not in (MANY_VERSIONS_PATH, LATEST_DELETED_PATH, PRUNED_PATH))
    for path in others[::3]:
        kv2.delete_secret_versions(path, versions=[extra_versions[path] - 2], mount_point=KV2_MOUNT)
    # Exactly one destroyed version in the whole demo.
    path, version = DESTROYED_VERSION
    kv2.destroy_secret_versions(path, versions=[version], mount_point=KV2_MOUNT)

    # custom_metadata on a selection, including the well-known secrets.
    tagged = {MANY_VERSIONS_PATH, LATEST_DELETED_PATH, SECRET_CAS_PATH, *rng.sample(candidates, 22)}
    for index, path in enumerate(sorted(tagged)):
        team = path.split("/", 1)[0]
        kv2.update_metadata(
            path,
            custom_metadata={
                "owner": f"team-{team}",
                "ticket": f"SEC-{1200 + index * 7}",
                "rotation": rng.choice(["30d", "90d", "180d", "manual"]),
            },
            mount_point=KV2_MOUNT,
        )
    kv2.update_metadata(SECRET_CAS_PATH, cas_required=True, max_versions=20, mount_point=KV2_MOUNT)
    kv2.update_metadata(
        "data/pipeline/dev/api-keys", delete_version_after="720h", max_versions=5, mount_point=KV2_MOUNT
    )

    # Shared entries, and the hostile ones that prove the UI shows server text as plain text.
    shared = {
        "shared/observability/pagerduty": {"integration_key": f"demo-not-a-real-key-{_hex(rng, 12)}"},
        "shared/observability/slack-webhook": {"url": "https://hooks.demo.internal/services/DEMO/NOT/REAL"},
        "shared/registry/pull-secret": {"username": "demo-robot", "password": _password(rng)},
        HOSTILE_PATH: dict(HOSTILE_DATA),
        HOSTILE_NAME_PATH: {"note": "this secret's name is hostile text; it must show literally"},
        HOSTILE_SLASH_PATH: {"note": "the folder 'a[' holds the secret ']b'; labels must not be markup"},
        "qa/empty-ish": {"": "a value under an empty key"},
        "qa/big-json": {"blob": '{"nested": {"list": [1, 2, 3], "ok": true}}', "multi\nline": "line one\nline two"},
    }
    for path, data in shared.items():
        _kv2_write(client, KV2_MOUNT, path, data, cas=None)
    return len(tree) + len(shared)


def _seed_cas_mount(client: hvac.Client, rng: random.Random) -> None:
    client.sys.enable_secrets_engine(
        "kv", path=CAS_MOUNT, options={"version": "2"}, description="ops secrets; every write needs check-and-set"
    )
    wait_for_kv2(client, CAS_MOUNT)
    client.secrets.kv.v2.configure(max_versions=20, cas_required=True, mount_point=CAS_MOUNT)
    entries: dict[str, tuple[dict[str, str], int]] = {
        "oncall/pagerduty": ({"api_token": f"demo-not-a-real-token-{_hex(rng, 10)}"}, 3),
        "oncall/statuspage": ({"api_key": f"demo-apikey-{_hex(rng, 12)}", "page_id": "demo-page"}, 1),
        "dns/registrar": ({"account": "demo-ops", "password": _password(rng)}, 2),
        "backups/object-store": ({"bucket": "demo-backups", "access_secret": f"demo-not-a-real-secret-{_hex(rng)}"}, 4),
        "break-glass/recovery-codes": ({"codes": "demo-1111 demo-2222 demo-3333", "custodian": "alice"}, 1),
        "monitoring/grafana-admin": ({"username": "admin", "password": _password(rng)}, 2),
        "ci/deploy-bot": ({"username": "deploy-bot", "password": _password(rng)}, 5),
        "vpn/site-to-site": ({"psk": f"demo-not-a-real-psk-{_hex(rng, 10)}", "peer": "198.51.100.7"}, 1),
    }
    for path, (data, versions) in entries.items():
        current = data
        for version in range(1, versions + 1):
            if version > 1:
                current = _rotate(current, rng, version)
            _kv2_write(client, CAS_MOUNT, path, current, cas=version - 1)
    client.secrets.kv.v2.update_metadata(
        "break-glass/recovery-codes",
        custom_metadata={"owner": "team-platform", "ticket": "OPS-42", "rotation": "after every use"},
        mount_point=CAS_MOUNT,
    )


def _seed_kv1(client: hvac.Client, rng: random.Random) -> None:
    client.sys.enable_secrets_engine(
        "kv", path=KV1_MOUNT, options={"version": "1"}, description="pre-migration KV v1 secrets"
    )
    entries = {
        "mainframe/batch-runner": {"username": "BATCH01", "password": _password(rng)},
        "ftp/partner-upload": {
            "host": "ftp.partner.demo.internal",
            "username": "demo-upload",
            "password": _password(rng),
        },
        "ldap/bind-account": {"bind_dn": "cn=svc-bind,dc=demo,dc=internal", "password": _password(rng)},
        "crm/export": {"api_key": f"demo-apikey-{_hex(rng, 16)}", "endpoint": "https://crm.demo.internal/export"},
        "old-billing/db": {"dsn": "oracle://billing.demo.internal:1521/BILL", "password": _password(rng)},
        "old-billing/sftp": {"host": "sftp.billing.demo.internal", "password": _password(rng)},
        "intranet/wiki-admin": {"username": "wikiadmin", "password": _password(rng)},
        "printers/scan-to-email": {"smtp_user": "scanner@demo.internal", "smtp_password": _password(rng)},
    }
    for path, data in entries.items():
        client.secrets.kv.v1.create_or_update_secret(path, secret=data, mount_point=KV1_MOUNT)


def _seed_transit(client: hvac.Client) -> None:
    client.sys.enable_secrets_engine("transit", path=TRANSIT_MOUNT, description="encryption as a service")
    transit = client.secrets.transit
    transit.create_key("payments", key_type="aes256-gcm96", mount_point=TRANSIT_MOUNT)
    transit.rotate_key("payments", mount_point=TRANSIT_MOUNT)
    transit.rotate_key("payments", mount_point=TRANSIT_MOUNT)
    transit.create_key("release-signing", key_type="ed25519", mount_point=TRANSIT_MOUNT)


POLICIES = {
    "demo-reader": """
path "secret/data/*" { capabilities = ["read", "list"] }
path "secret/metadata/*" { capabilities = ["read", "list"] }
path "secret/metadata/platform/*" { capabilities = ["deny"] }
path "sys/internal/ui/mounts" { capabilities = ["read"] }
""",
    "payments-dev": """
path "secret/data/payments/+/dev/*" { capabilities = ["create", "read", "update", "patch", "list"] }
path "secret/metadata/payments/*" { capabilities = ["read", "list"] }
path "transit/encrypt/payments" { capabilities = ["update"] }
path "transit/decrypt/payments" { capabilities = ["update"] }
""",
    "ops-admin": """
path "ops-kv/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] }
path "sys/leases/*" { capabilities = ["read", "update", "list", "sudo"] }
""",
}


def _seed_auth(client: hvac.Client) -> None:
    for name, policy in POLICIES.items():
        client.sys.create_or_update_policy(name, policy.strip() + "\n")
    tokens = (
        ("ci-deploy", "30m", ["payments-dev"]),
        ("oncall-laptop", "2h", ["ops-admin"]),
        ("reporting-job", "8h", ["demo-reader"]),
    )
    for display_name, ttl, policies in tokens:
        client.auth.token.create(
            display_name=display_name, ttl=ttl, policies=policies, meta={"purpose": "vault-tui demo"}
        )
    client.sys.enable_auth_method("userpass", path=USERPASS_MOUNT, description="demo users")
    client.auth.userpass.create_or_update_user(
        DEMO_USER,
        password=DEMO_USER_PASSWORD,
        policies=["demo-reader", "payments-dev"],
        token_ttl="1h",
        token_max_ttl="24h",
        mount_point=USERPASS_MOUNT,
    )
    # Log in once so an auth lease exists; use_token=False keeps the root token on this client.
    client.auth.userpass.login(DEMO_USER, DEMO_USER_PASSWORD, use_token=False, mount_point=USERPASS_MOUNT)


READONLY_SQL = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
    'GRANT CONNECT ON DATABASE postgres TO "{{name}}";',
    'GRANT USAGE ON SCHEMA shop TO "{{name}}";',
    'GRANT SELECT ON ALL TABLES IN SCHEMA shop TO "{{name}}";',
]
READWRITE_SQL = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
    'GRANT CONNECT ON DATABASE postgres TO "{{name}}";',
    'GRANT USAGE ON SCHEMA shop TO "{{name}}";',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO "{{name}}";',
    'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA shop TO "{{name}}";',
]
# Without these, OpenBao's default revocation only revokes grants in schema public, so DROP ROLE
# fails on the grants in schema shop and the lease cannot be revoked.
READONLY_REVOKE_SQL = [
    'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA shop FROM "{{name}}";',
    'REVOKE USAGE ON SCHEMA shop FROM "{{name}}";',
    'REVOKE CONNECT ON DATABASE postgres FROM "{{name}}";',
    'DROP ROLE IF EXISTS "{{name}}";',
]
READWRITE_REVOKE_SQL = [
    'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA shop FROM "{{name}}";',
    'REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA shop FROM "{{name}}";',
    'REVOKE USAGE ON SCHEMA shop FROM "{{name}}";',
    'REVOKE CONNECT ON DATABASE postgres FROM "{{name}}";',
    'DROP ROLE IF EXISTS "{{name}}";',
]
SHOP_SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS shop;
CREATE TABLE IF NOT EXISTS shop.customers (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE IF NOT EXISTS shop.orders (
    id serial PRIMARY KEY,
    customer_id int REFERENCES shop.customers(id),
    amount_cents int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO shop.customers (name, email) VALUES
    ('Ada Demo', 'ada@demo.internal'), ('Grace Demo', 'grace@demo.internal'), ('Linus Demo', 'linus@demo.internal');
INSERT INTO shop.orders (customer_id, amount_cents) VALUES (1, 1999), (2, 4500), (3, 120), (1, 8999);
"""


def _seed_database(client: hvac.Client, postgres: PostgresServer) -> None:
    postgres.psql(SHOP_SCHEMA_SQL)
    client.sys.enable_secrets_engine("database", path=DATABASE_MOUNT, description="dynamic PostgreSQL credentials")
    database = client.secrets.database
    database.configure(
        "demo-postgres",
        "postgresql-database-plugin",
        verify_connection=True,
        allowed_roles=list(DATABASE_ROLES),
        mount_point=DATABASE_MOUNT,
        connection_url=postgres.connection_url(),
        username="postgres",
        password="demo-not-a-real-password-pg",
    )
    roles = (
        ("readonly", READONLY_SQL, READONLY_REVOKE_SQL),
        ("readwrite", READWRITE_SQL, READWRITE_REVOKE_SQL),
    )
    for role, statements, revocation in roles:
        database.create_role(
            role,
            db_name="demo-postgres",
            creation_statements=statements,
            revocation_statements=revocation,
            default_ttl="1h",
            max_ttl="24h",
            mount_point=DATABASE_MOUNT,
        )
    # Three live leases: one with the default hour, two shortened to ten minutes.
    issued = [
        database.generate_credentials("readonly", mount_point=DATABASE_MOUNT),
        database.generate_credentials("readonly", mount_point=DATABASE_MOUNT),
        database.generate_credentials("readwrite", mount_point=DATABASE_MOUNT),
    ]
    for response in issued[1:]:
        client.sys.renew_lease(response["lease_id"], increment=600)


def _seed_pki(client: hvac.Client) -> None:
    """A root CA, an intermediate signed by it, a role and a few certificates (private keys are
    discarded as soon as they arrive)."""
    client.sys.enable_secrets_engine(
        "pki", path=PKI_ROOT_MOUNT, description="demo root CA", config={"max_lease_ttl": "87600h"}
    )
    client.write(
        f"{PKI_ROOT_MOUNT}/root/generate/internal",
        common_name=PKI_ROOT_CN,
        issuer_name="demo-root",
        ttl="87600h",
        key_type="ec",
        key_bits=256,
    )
    client.sys.enable_secrets_engine(
        "pki", path=PKI_INT_MOUNT, description="demo intermediate CA", config={"max_lease_ttl": "43800h"}
    )
    csr = client.write(
        f"{PKI_INT_MOUNT}/intermediate/generate/internal", common_name=PKI_INT_CN, key_type="ec", key_bits=256
    )["data"]["csr"]
    signed = client.write(
        f"{PKI_ROOT_MOUNT}/root/sign-intermediate", csr=csr, format="pem_bundle", ttl="43800h", common_name=PKI_INT_CN
    )["data"]["certificate"]
    client.write(f"{PKI_INT_MOUNT}/intermediate/set-signed", certificate=signed)
    client.write(
        f"{PKI_INT_MOUNT}/roles/{PKI_ROLE}",
        allowed_domains="demo.internal",
        allow_subdomains=True,
        allow_ip_sans=True,
        max_ttl="2160h",
        key_type="ec",
        key_bits=256,
    )
    for common_name, ttl, alt_names, ip_sans in PKI_CERTS:
        issued = client.write(
            f"{PKI_INT_MOUNT}/issue/{PKI_ROLE}",
            common_name=common_name,
            alt_names=",".join(alt_names),
            ip_sans=",".join(ip_sans),
            ttl=ttl,
        )
        serial = issued["data"]["serial_number"]
        del issued  # holds the private key: not kept
        if common_name == PKI_REVOKED_CN:
            client.write(f"{PKI_INT_MOUNT}/revoke", serial_number=serial)


def seed(
    client: hvac.Client,
    postgres: PostgresServer | None,
    *,
    missing_reason: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, ...]:
    """Fill a fresh dev server with demo data. Returns human-readable notes (e.g. what was skipped).

    ``client`` must be a root-token client. ``postgres`` is a started PostgresServer, or None to
    skip the database mount (then a note says so, with ``missing_reason`` if given).
    """
    say = progress or (lambda _msg: None)
    rng = random.Random(20240611)
    notes: list[str] = []
    say("seeding KV v2 secrets")
    count = _seed_kv2(client, rng)
    say("seeding the cas_required and KV v1 mounts")
    _seed_cas_mount(client, rng)
    _seed_kv1(client, rng)
    say("seeding transit keys")
    _seed_transit(client)
    say("seeding the PKI mounts")
    _seed_pki(client)
    say("seeding policies, tokens and userpass")
    _seed_auth(client)
    if postgres is None:
        notes.append(f"database mount skipped: {missing_reason or 'no PostgreSQL server was started'}")
    else:
        say("seeding the database mount")
        _seed_database(client, postgres)
    say(f"seeded {count} secrets in {KV2_MOUNT}/")
    return tuple(notes)
