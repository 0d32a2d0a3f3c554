"""The lint engine against a real OpenBao: each planted problem is found, clean mounts give nothing."""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import hvac
import pytest
from conftest import unique

from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.views.lint.checks import (
    CONFIG_KEYS,
    FindingKind,
    ItemType,
    LintSettings,
    Severity,
    effective_max_versions,
)
from vault_tui.views.lint.model import CSV_COLUMNS, LintProgress, run_lint, run_lint_cli, write_csv, write_json

PLANTED_VALUE = "planted-value-do-not-leak-7Qm2Zp"


@dataclass
class Planted:
    clean_kv: str
    dirty_kv: str
    clean_transit: str
    dirty_transit: str
    clean_pki: str
    dirty_pki: str
    short_serial: str
    long_lease: str

    @property
    def all(self) -> list[str]:
        return [self.clean_kv, self.dirty_kv, self.clean_transit, self.dirty_transit, self.clean_pki, self.dirty_pki]

    @property
    def clean(self) -> list[str]:
        return [self.clean_kv, self.clean_transit, self.clean_pki]


def _kv2(client: hvac.Client, mount: str, path: str, cas: int | None = None) -> None:
    client.secrets.kv.v2.create_or_update_secret(path, secret={"password": PLANTED_VALUE}, cas=cas, mount_point=mount)


def _pki_root(client: hvac.Client, mount: str) -> None:
    client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    client.write(
        f"{mount}/root/generate/internal", common_name=f"{mount} root", ttl="87600h", key_type="ec", key_bits=256
    )


@pytest.fixture
def planted(root_client):
    c = root_client
    p = Planted(
        clean_kv=unique("lint-ckv-"),
        dirty_kv=unique("lint-dkv-"),
        clean_transit=unique("lint-ctr-"),
        dirty_transit=unique("lint-dtr-"),
        clean_pki=unique("lint-cpki-"),
        dirty_pki=unique("lint-dpki-"),
        short_serial="",
        long_lease="",
    )
    # A clean KV v2 mount: cas required, a bounded history.
    c.sys.enable_secrets_engine("kv", path=p.clean_kv, options={"version": "2"})
    c.secrets.kv.v2.configure(max_versions=10, cas_required=True, mount_point=p.clean_kv)
    _kv2(c, p.clean_kv, "team/app/db", cas=0)
    _kv2(c, p.clean_kv, "team/app/db", cas=1)
    _kv2(c, p.clean_kv, "team/web/api", cas=0)
    # A dirty one: no cas, a huge history, every version deleted, a secret keeping 500 versions.
    c.sys.enable_secrets_engine("kv", path=p.dirty_kv, options={"version": "2"})
    c.secrets.kv.v2.configure(max_versions=1000, mount_point=p.dirty_kv)
    _kv2(c, p.dirty_kv, "nocas")
    _kv2(c, p.dirty_kv, "deep/gone")
    _kv2(c, p.dirty_kv, "deep/gone")
    c.secrets.kv.v2.delete_secret_versions("deep/gone", versions=[1], mount_point=p.dirty_kv)
    c.secrets.kv.v2.destroy_secret_versions("deep/gone", versions=[2], mount_point=p.dirty_kv)
    _kv2(c, p.dirty_kv, "many")
    c.secrets.kv.v2.update_metadata("many", max_versions=500, cas_required=True, mount_point=p.dirty_kv)
    # Transit: a clean rotated key; a never-rotated one, an exportable one, a deletable one, one far behind.
    t = c.secrets.transit
    c.sys.enable_secrets_engine("transit", path=p.clean_transit)
    t.create_key("rotated", mount_point=p.clean_transit)
    t.rotate_key("rotated", mount_point=p.clean_transit)
    c.sys.enable_secrets_engine("transit", path=p.dirty_transit)
    t.create_key("never", mount_point=p.dirty_transit)
    t.create_key("export", exportable=True, mount_point=p.dirty_transit)
    t.rotate_key("export", mount_point=p.dirty_transit)
    t.create_key("deletable", mount_point=p.dirty_transit)
    t.rotate_key("deletable", mount_point=p.dirty_transit)
    t.update_key_configuration("deletable", deletion_allowed=True, mount_point=p.dirty_transit)
    t.create_key("behind", mount_point=p.dirty_transit)
    for _ in range(5):
        t.rotate_key("behind", mount_point=p.dirty_transit)
    # PKI: a clean mount with a 41-day certificate; a dirty one issuing leases, one with 50 days
    # left (a long lease) and a certificate expiring in 3 days.
    _pki_root(c, p.clean_pki)
    c.write(
        f"{p.clean_pki}/roles/web",
        allowed_domains="example.test",
        allow_subdomains=True,
        max_ttl="2000h",
        key_type="ec",
        key_bits=256,
    )
    c.write(f"{p.clean_pki}/issue/web", common_name="fine.example.test", ttl="1000h")
    _pki_root(c, p.dirty_pki)
    c.write(
        f"{p.dirty_pki}/roles/leased",
        allowed_domains="example.test",
        allow_subdomains=True,
        max_ttl="2000h",
        key_type="ec",
        key_bits=256,
        generate_lease=True,
    )
    long_ = c.write(f"{p.dirty_pki}/issue/leased", common_name="long.example.test", ttl="1200h")
    short = c.write(f"{p.dirty_pki}/issue/leased", common_name="short.example.test", ttl="72h")
    p.long_lease = long_["lease_id"]
    p.short_serial = short["data"]["serial_number"]
    assert p.long_lease.startswith(f"{p.dirty_pki}/issue/leased/")
    yield p
    for mount in p.all:
        try:
            c.sys.disable_secrets_engine(mount)
        except Exception:
            pass


def _found(report) -> set[tuple[FindingKind, str]]:
    return {(f.kind, f.path) for f in report.findings}


def test_each_planted_problem_is_found_and_nothing_else(gateway, planted):
    p = planted
    seen: list[LintProgress] = []
    report = run_lint(gateway, mounts=p.all, progress=seen.append)
    assert report.notes == () and not report.cancelled
    assert _found(report) == {
        (FindingKind.MOUNT_CAS_OFF, f"{p.dirty_kv}/"),
        (FindingKind.MOUNT_MANY_VERSIONS, f"{p.dirty_kv}/"),
        (FindingKind.SECRET_CAS_OFF, f"{p.dirty_kv}/nocas"),
        (FindingKind.SECRET_CAS_OFF, f"{p.dirty_kv}/deep/gone"),
        (FindingKind.ALL_VERSIONS_DELETED, f"{p.dirty_kv}/deep/gone"),
        (FindingKind.SECRET_MANY_VERSIONS, f"{p.dirty_kv}/many"),
        (FindingKind.KEY_NEVER_ROTATED, f"{p.dirty_transit}/keys/never"),
        (FindingKind.KEY_EXPORTABLE, f"{p.dirty_transit}/keys/export"),
        (FindingKind.KEY_DELETION_ALLOWED, f"{p.dirty_transit}/keys/deletable"),
        (FindingKind.KEY_OLD_VERSIONS_DECRYPT, f"{p.dirty_transit}/keys/behind"),
        (FindingKind.LEASE_LONG_TTL, p.long_lease),
        (FindingKind.CERT_EXPIRING, f"{p.dirty_pki}/cert/{p.short_serial}"),
    }
    assert report.checked == {"mounts": 6, "secrets": 5, "transit_keys": 5, "leases": 2, "certificates": 5}
    by_kind = {f.kind: f for f in report.findings}
    cas = by_kind[FindingKind.MOUNT_CAS_OFF]
    assert cas.item is ItemType.MOUNT and cas.name == "" and cas.mount == f"{p.dirty_kv}/"
    assert "2 secrets here do not require it themselves" in cas.why
    assert "1000" in by_kind[FindingKind.MOUNT_MANY_VERSIONS].why
    assert "500" in by_kind[FindingKind.SECRET_MANY_VERSIONS].why
    behind = by_kind[FindingKind.KEY_OLD_VERSIONS_DECRYPT].why
    assert "min_decryption_version is 1 while the latest version is 6" in behind
    lease = by_kind[FindingKind.LEASE_LONG_TTL]
    assert lease.item is ItemType.LEASE and lease.mount == f"{p.dirty_pki}/" and "49 days left" in lease.why
    cert = by_kind[FindingKind.CERT_EXPIRING]
    assert cert.severity is Severity.HIGH and "short.example.test expires in 2 days" in cert.why
    assert by_kind[FindingKind.KEY_EXPORTABLE].severity is Severity.HIGH
    # Most severe first.
    ranks = [f.severity.rank for f in report.findings]
    assert ranks == sorted(ranks)
    assert report.exit_code == 1 and not report.clean
    assert {s.stage for s in seen} == {"mounts", "listing", "reading"}
    last = [s for s in seen if s.stage == "reading"][-1]
    assert last.done == last.total == 17  # 5 secrets + 5 keys + 2 leases + 5 certificates


def test_clean_mounts_give_no_finding(gateway, planted):
    report = run_lint(gateway, mounts=planted.clean)
    assert report.findings == () and report.notes == ()
    assert report.clean and report.exit_code == 0
    assert report.checked["secrets"] == 2 and report.checked["transit_keys"] == 1


def test_old_secrets_and_overdue_keys_with_a_clock_in_the_future(gateway, planted):
    p = planted
    settings = LintSettings(stale_days=30, transit_rotation_days=30)
    later = datetime.now(UTC) + timedelta(days=31)
    report = run_lint(gateway, settings, now=later, mounts=[p.clean_kv, p.clean_transit], include_leases=False)
    assert _found(report) == {
        (FindingKind.STALE_SECRET, f"{p.clean_kv}/team/app/db"),
        (FindingKind.STALE_SECRET, f"{p.clean_kv}/team/web/api"),
        (FindingKind.KEY_ROTATION_OVERDUE, f"{p.clean_transit}/keys/rotated"),
    }
    stale = next(f for f in report.findings if f.kind is FindingKind.STALE_SECRET)
    assert stale.item is ItemType.SECRET and "not updated for 31 days" in stale.why
    # One day earlier nothing is old yet.
    sooner = run_lint(gateway, settings, now=later - timedelta(days=2), mounts=[p.clean_kv, p.clean_transit])
    assert sooner.findings == ()


def test_thresholds_change_what_is_found(gateway, planted):
    p = planted
    lenient = LintSettings(
        lease_ttl_days=60,
        cert_expiry_days=1,
        transit_min_decryption_gap=10,
        max_versions_limit=2000,
        secret_cas_findings=False,
    )
    report = run_lint(gateway, lenient, mounts=[p.dirty_kv, p.dirty_pki])
    assert _found(report) == {
        (FindingKind.MOUNT_CAS_OFF, f"{p.dirty_kv}/"),
        (FindingKind.ALL_VERSIONS_DELETED, f"{p.dirty_kv}/deep/gone"),
    }


def test_permission_denied_becomes_a_note(bao, root_client, planted):
    p = planted
    policy = unique("lint-limited")
    root_client.sys.create_or_update_policy(
        policy,
        f"""
path "{p.dirty_kv}/config" {{ capabilities = ["read"] }}
path "{p.dirty_kv}/metadata/*" {{ capabilities = ["read"] }}
path "{p.dirty_transit}/keys" {{ capabilities = ["list"] }}
path "sys/internal/ui/mounts" {{ capabilities = ["read"] }}
path "sys/internal/ui/mounts/*" {{ capabilities = ["read"] }}
""",
    )
    token = root_client.auth.token.create(policies=[policy], ttl="10m")["auth"]["client_token"]
    limited = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    limited.server_info()
    report = run_lint(limited, mounts=[p.dirty_kv, p.dirty_transit])
    assert _found(report) == {
        (FindingKind.MOUNT_CAS_OFF, f"{p.dirty_kv}/"),
        (FindingKind.MOUNT_MANY_VERSIONS, f"{p.dirty_kv}/"),
    }
    notes = set(report.notes)
    assert f"could not list the secrets of {p.dirty_kv}/: permission denied" in notes
    for key in ("behind", "deletable", "export", "never"):
        assert f"could not read {p.dirty_transit}/keys/{key}: permission denied" in notes
    assert "could not list leases: permission denied (listing needs sudo on sys/leases/lookup)" in notes
    assert len(notes) == 6


def test_cancel_stops_early(gateway, planted):
    cancel = threading.Event()

    def progress(step: LintProgress) -> None:
        if step.stage == "reading" and step.done >= 1:
            cancel.set()

    report = run_lint(gateway, mounts=planted.all, cancel=cancel, progress=progress, workers=1)
    assert report.cancelled
    assert sum(report.checked[k] for k in ("secrets", "transit_keys", "leases", "certificates")) < 17


def test_csv_and_json_parse_back_and_hold_no_value(gateway, planted):
    report = run_lint(gateway, mounts=planted.all)
    text = io.StringIO()
    write_csv(report, text)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows == [f.as_row() for f in report.findings]
    blob = io.StringIO()
    write_json(report, blob)
    parsed = json.loads(blob.getvalue())
    assert parsed["findings"] == [f.as_row() for f in report.findings]
    assert parsed["clean"] is False and parsed["notes"] == []
    assert parsed["settings"]["stale_days"] == 365
    assert parsed["counts"]["by_kind"]["secret-cas-off"] == 2
    assert sum(parsed["counts"]["by_severity"].values()) == len(report.findings)
    for output in (text.getvalue(), blob.getvalue()):
        assert PLANTED_VALUE not in output
        assert "BEGIN" not in output  # no PEM, no private key
        assert str(gateway.settings.token) not in output


def test_cli_exit_codes(bao, gateway, planted):
    config = AppConfig(connection=ConnectionSettings(addr=bao.addr, token=bao.root_token))
    out, err = io.StringIO(), io.StringIO()
    assert run_lint_cli(config, out, "csv", err=err, mounts=planted.all) == 1
    assert len(list(csv.DictReader(io.StringIO(out.getvalue())))) == 12
    out = io.StringIO()
    assert run_lint_cli(config, out, "json", err=err, mounts=planted.clean) == 0
    assert json.loads(out.getvalue())["findings"] == []
    assert err.getvalue() == ""
    assert run_lint_cli(config, io.StringIO(), "xml", err=err) == 2
    bad = AppConfig(connection=ConnectionSettings(addr=bao.addr, token="not-a-real-token"))
    err = io.StringIO()
    assert run_lint_cli(bad, io.StringIO(), "csv", err=err) == 2
    assert "not-a-real-token" not in err.getvalue() and "vault-tui lint:" in err.getvalue()
    assert run_lint_cli(AppConfig(connection=ConnectionSettings(addr=bao.addr)), io.StringIO(), err=err) == 2
    # Settings from the config object are used when none are passed.
    config.lint = LintSettings(cert_expiry_days=1, lease_ttl_days=60)  # type: ignore[attr-defined]
    out = io.StringIO()
    assert run_lint_cli(config, out, "json", err=io.StringIO(), mounts=[planted.dirty_pki]) == 0


def test_settings_from_a_config_table():
    assert CONFIG_KEYS == (
        "stale_days",
        "transit_rotation_days",
        "transit_min_decryption_gap",
        "lease_ttl_days",
        "cert_expiry_days",
        "max_versions_limit",
        "secret_cas_findings",
    )
    settings = LintSettings.from_mapping({"stale_days": 90, "secret_cas_findings": False})
    assert settings.stale_days == 90 and not settings.secret_cas_findings and settings.cert_expiry_days == 30
    for bad, message in (
        ({"stale": 1}, "lint.stale: unknown setting"),
        ({"stale_days": -1}, "lint.stale_days: must be a whole number"),
        ({"stale_days": "90"}, "lint.stale_days: must be a whole number"),
        ({"stale_days": True}, "lint.stale_days: must be a whole number"),
        ({"secret_cas_findings": 1}, "lint.secret_cas_findings: must be true or false"),
    ):
        with pytest.raises(ValueError, match=message):
            LintSettings.from_mapping(bad)


def test_effective_max_versions():
    assert effective_max_versions(0, 0) == 10
    assert effective_max_versions(3, 0) == 3
    assert effective_max_versions(0, 7) == 7
    assert effective_max_versions(20, 5) == 20 and effective_max_versions(3, 5) == 5


def test_lint_model_imports_no_textual():
    import subprocess
    import sys

    code = (
        "import sys, vault_tui.views.lint.model, vault_tui.trail\n"
        "assert not [m for m in sys.modules if m.startswith('textual')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
