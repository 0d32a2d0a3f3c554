"""Pure logic of the PKI, lint and history views (no server, no app)."""

from __future__ import annotations

import csv
import io
import os
import stat
from dataclasses import replace
from datetime import timedelta

import pytest
from newviews_fixtures import NOW, certificates, lint_report, write_trail

from vault_tui.trail import Action, TrailEntry
from vault_tui.vault.pki_models import CERT_EXPORT_COLUMNS, PkiRole
from vault_tui.views.history import model as history
from vault_tui.views.history.jump import Target
from vault_tui.views.lint import view_model as lint_view
from vault_tui.views.lint.checks import ItemType, LintSettings
from vault_tui.views.pki import model as pki_view
from vault_tui.views.private_file import resolve_target, write_private


# -- PKI --------------------------------------------------------------------------------------
def test_rows_across_mounts_sorted_by_expiry_with_states():
    model = pki_view.PkiModel(warn=30)
    model.set_inventories(certificates())
    rows = model.rows(NOW)
    names = [r.cells["cn"] for r in rows]
    assert names == [
        "old.example.test",
        "grafana.example.test",
        "checkout.example.test",
        "legacy.example.test",
        "vpn.example.test",
        "api.example.test",
        "Example Issuing CA",
        "Example Root CA",
    ]
    states = {r.cells["cn"]: r.state for r in rows}
    assert states["old.example.test"] == "expired"
    assert states["grafana.example.test"] == "expiring" and states["checkout.example.test"] == "expiring"
    assert states["legacy.example.test"] == "revoked" and states["vpn.example.test"] == "valid"
    by_cn = {r.cells["cn"]: r for r in rows}
    assert by_cn["grafana.example.test"].cells["days"] == "2"
    assert by_cn["old.example.test"].cells["days"] == "-5"
    assert by_cn["legacy.example.test"].cells["state"] == "REVOKED"
    assert by_cn["Example Root CA"].cells["state"] == "CA default"
    assert by_cn["Example Root CA"].cells["mount"] == "pki/"
    # The common name is not repeated among the SANs; more than two become "+N".
    assert by_cn["checkout.example.test"].cells["sans"] == "pay.example.test"
    assert by_cn["api.example.test"].cells["sans"] == "api-v2.example.test, api-v3.example.test +1"
    assert by_cn["vpn.example.test"].cells["not_after"] == (NOW + timedelta(days=80)).strftime("%Y-%m-%d")
    summary = model.summary(NOW, len(rows))
    assert summary == "2 PKI mounts · 8 certificates · 2 expiring within 30 days · 1 expired · 1 revoked"
    # The threshold moves the highlight; the clock moves the days.
    assert [r.state for r in pki_view.PkiModel(warn=5).rows(NOW) if r.state == "expiring"] == []
    model.warn = 5
    assert [r.cells["cn"] for r in model.rows(NOW) if r.state == "expiring"] == ["grafana.example.test"]
    later = model.rows(NOW + timedelta(days=3))
    assert {r.cells["cn"]: r.state for r in later}["grafana.example.test"] == "expired"


def test_filter_find_and_mark_revoked():
    model = pki_view.PkiModel()
    model.set_inventories(certificates(), problems=["could not read pki_old/: permission denied"])
    assert [r.cells["cn"] for r in model.rows(NOW, "PAY.example")] == ["checkout.example.test"]
    assert [r.cells["cn"] for r in model.rows(NOW, "192.0.2.20")] == ["vpn.example.test"]
    assert len(model.rows(NOW, "pki_int/")) == 7
    assert [r.cells["cn"] for r in model.rows(NOW, "3a:14")] == ["vpn.example.test"]
    cert = model.find("pki_int/3a:14")
    assert cert is not None and cert.common_name == "vpn.example.test"
    assert model.find_serial("pki_int", "3a:14") == cert
    model.mark_revoked("pki_int/", "3a:14", NOW)
    revoked = model.find("pki_int/3a:14")
    assert revoked is not None and revoked.revoked and revoked.revocation_time == NOW
    assert model.problems == ["could not read pki_old/: permission denied"]


def test_details_name_everything_but_hold_no_key():
    model = pki_view.PkiModel()
    model.set_inventories(certificates())
    cert = model.find("pki_int/3a:10")
    assert cert is not None
    lines = dict(pki_view.details(cert, NOW, 30))
    assert lines["State"].startswith("valid, 2 days left") and "expires within 30 days" in lines["State"]
    assert lines["DNS names"] == "grafana.example.test"
    assert lines["Serial"] == "3a:10" and lines["Mount"] == "pki_int/"
    assert lines["Signed by issuer"] == "9a8b7c6d-int"
    assert lines["Key"] == "Ed25519 256" and lines["SHA-256"] == cert.fingerprint_sha256
    revoked = dict(pki_view.details(model.find("pki_int/3a:12"), NOW, 30))
    assert revoked["State"].startswith("revoked 2026-02-26")
    root = dict(pki_view.details(model.find("pki/01"), NOW, 30))
    assert root["Issuer of this mount"] == "5e1f0c1a-root (root-2025), the mount's default"


def test_inventory_csv_is_the_export_columns_and_never_a_key(tmp_path):
    model = pki_view.PkiModel()
    model.set_inventories(certificates())
    target = tmp_path / "inventory.csv"
    written = write_private(target, lambda out: pki_view.write_inventory_csv(out, model.certificates, NOW))
    assert written == target and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert tuple(rows[0]) == CERT_EXPORT_COLUMNS and len(rows) == 8
    assert rows[1]["common_name"] == "grafana.example.test" and rows[1]["days_left"] == "2"
    text = target.read_text()
    assert "PRIVATE KEY" not in text and "BEGIN" not in text


def test_private_file_replaces_and_refuses_directories(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_private(target, lambda out: out.write("new"))
    assert target.read_text() == "new" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    link = tmp_path / "link.txt"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep")
    link.symlink_to(elsewhere)
    write_private(link, lambda out: out.write("x"))
    assert elsewhere.read_text() == "keep" and not link.is_symlink()  # replaced, never followed
    with pytest.raises(ValueError):
        resolve_target(str(tmp_path))
    with pytest.raises(ValueError):
        resolve_target("  ")

    def fail(out):
        out.write("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_private(target, fail)
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.txt", "link.txt", "out.txt"]


def test_issue_form_follows_the_role():
    role = PkiRole(
        mount="pki_int/",
        name="web",
        allowed_domains=("example.test",),
        allow_subdomains=True,
        allow_ip_sans=True,
        max_ttl=2160 * 3600,
    )
    names = [f.name for f in pki_view.issue_fields(role)]
    assert names == ["common_name", "alt_names", "ip_sans", "ttl"]
    assert "*.example.test" in pki_view.issue_fields(role)[0].label
    assert "at most 90d" in pki_view.issue_fields(role)[-1].label
    strict = replace(role, allow_ip_sans=False, allowed_uri_sans=("spiffe://example.test/*",))
    assert [f.name for f in pki_view.issue_fields(strict)] == ["common_name", "alt_names", "uri_sans", "ttl"]
    request = pki_view.issue_request(
        role,
        {
            "common_name": " app.example.test ",
            "alt_names": "a.example.test, b.example.test",
            "ip_sans": "192.0.2.1",
            "ttl": "72h",
        },
    )
    assert request.common_name == "app.example.test" and request.alt_names == ("a.example.test", "b.example.test")
    assert request.ip_sans == ("192.0.2.1",) and request.ttl == "72h" and request.mount == "pki_int/"
    for bad, why in (
        ({"common_name": ""}, "common name"),
        ({"common_name": "x", "ip_sans": "nope"}, "not an IP"),
        ({"common_name": "x", "ttl": "soon"}, "TTL"),
    ):
        with pytest.raises(ValueError, match=why):
            pki_view.issue_request(role, bad)
    with pytest.raises(ValueError, match="IP SANs"):
        pki_view.issue_request(strict, {"common_name": "x", "ip_sans": "192.0.2.1"})
    assert "no_store" in pki_view.role_summary(replace(role, no_store=True))


def test_warn_days_from_config():
    class Config:
        pass

    config = Config()
    assert pki_view.warn_days(config) == 30
    config.lint = LintSettings(cert_expiry_days=14)  # type: ignore[attr-defined]
    assert pki_view.warn_days(config) == 14
    config.pki_warn_days = 7  # type: ignore[attr-defined]
    assert pki_view.warn_days(config) == 7


# -- lint ---------------------------------------------------------------------------------------
def test_lint_sorting_filtering_and_targets():
    report = lint_report()
    by_severity = lint_view.arrange(report.findings, "severity", False)
    assert [f.severity.value for f in by_severity] == ["high", "high", "medium", "medium", "medium", "low", "low"]
    by_path = lint_view.arrange(report.findings, "path", True)
    assert by_path[0].path == "transit/keys/payments"
    assert [f.name for f in lint_view.arrange(report.findings, "kind", False, "ORDERS")] == ["orders"]
    targets = {f.item: lint_view.target_of(f) for f in report.findings}
    assert targets[ItemType.SECRET] == Target(
        "browser", "open_path", ("secret/team/app/db",), "secret secret/team/app/db"
    )
    assert targets[ItemType.MOUNT].args == ("secret/",)
    assert targets[ItemType.CERTIFICATE] == Target(
        "pki", "open_certificate", ("pki_int/", "3a:10"), "certificate 3a:10 on pki_int/"
    )
    assert targets[ItemType.TRANSIT_KEY].view == "transit" and targets[ItemType.TRANSIT_KEY].method == "open_key"
    assert targets[ItemType.LEASE].args == ("database/creds/readonly/aB3dE5fG7hI9jK1lM3nO5pQ7",)
    summary = lint_view.summary(report)
    assert summary.startswith("7 findings (2 high, 3 medium, 2 low) · checked 5 mounts, 42 secrets, 6 keys")


def test_lint_settings_from_config():
    class Config:
        pass

    config = Config()
    assert lint_view.lint_settings(config) == (LintSettings(), "")
    config.lint = {"stale_days": 90}  # type: ignore[attr-defined]
    assert lint_view.lint_settings(config) == (LintSettings(stale_days=90), "")
    config.lint = {"stale_dayz": 90}  # type: ignore[attr-defined]
    settings, problem = lint_view.lint_settings(config)
    assert settings == LintSettings() and "stale_dayz" in problem
    config.lint = LintSettings(lease_ttl_days=3)  # type: ignore[attr-defined]
    assert lint_view.lint_settings(config)[0].lease_ttl_days == 3


# -- history ------------------------------------------------------------------------------------
def test_history_rows_filter_and_targets(tmp_path):
    trail = write_trail(tmp_path / "trail.jsonl")
    entries = trail.entries(newest_first=True)
    assert [e.action for e in entries][:2] == [Action.PATCH, Action.CERT_REVOKE]
    cells = history.cells(entries[-1])
    assert cells == {
        "time": "2026-03-01 11:00:00",
        "action": "write",
        "target": "secret/team/app/db v3",
        "result": "ok",
        "profile": "prod",
        "namespace": "team-a",
        "server": "https://vault.example.test:8200",
    }
    assert [e.action for e in history.filtered(entries, "PERMISSION")] == [Action.DESTROY]
    assert len(history.filtered(entries, "dev")) == 3
    summary = history.summarise(entries, 3)
    assert summary.total == 8 and summary.failed == 1
    assert "8 changes recorded · 1 failed · 3 match “dev”" in summary.text("dev")
    targets = [history.target_of(e) for e in entries]
    by_action = {e.action: t for e, t in zip(entries, targets, strict=True)}
    assert by_action[Action.PATCH] == Target(
        "browser", "open_path", ("secret/team/app/api",), "secret secret/team/app/api"
    )
    assert by_action[Action.CERT_REVOKE] == Target(
        "pki", "open_certificate", ("pki_int/", "3a:12"), "certificate 3a:12 on pki_int/"
    )
    assert by_action[Action.CERT_ISSUE] == Target(
        "pki", "show_matching", ("grafana.example.test",), "certificates named grafana.example.test"
    )
    assert by_action[Action.CREDENTIALS_ISSUED].args == ("database/creds/readonly",)
    assert by_action[Action.KEY_ROTATE].args == ("transit/", "orders")
    assert by_action[Action.RENEW].args == ("database/creds/readonly/aB3dE5fG7hI9jK1l",)


@pytest.mark.parametrize(
    ("action", "target", "expected"),
    [
        (Action.MOVE, "secret/a → other/b", ("browser", ("other/b",))),
        (Action.COPY, "secret/a -> secret/c", ("browser", ("secret/c",))),
        (Action.KEY_CREATE, "transit/orders", ("transit", ("transit/", "orders"))),
        (Action.CERT_ISSUE, "pki/0a:bb", ("pki", ("pki/", "0a:bb"))),
        (Action.CERT_ISSUE, "pki_int/issue/web CN=app.example.test", ("pki", ("app.example.test",))),
        (Action.CERT_REVOKE, "pki_int serial 0a:bb:cc", ("pki", ("pki_int/", "0a:bb:cc"))),
        (Action.KEY_ROTATE, "transit/keys/orders", ("transit", ("transit/", "orders"))),
        (Action.REVOKE_PREFIX, "database/creds/", ("leases", ("database/creds/",))),
        (Action.KEY_CREATE, "orders", None),
        (Action.WRITE, "", None),
    ],
)
def test_history_targets_of_each_kind(action, target, expected):
    entry = TrailEntry(time=NOW, action=action, target=target, result="ok")
    found = history.target_of(entry)
    assert (found.view, found.args) == expected if expected else found is None


def test_trail_path_from_config(tmp_path):
    class Config:
        trail_path = str(tmp_path / "t.jsonl")

    assert history.trail_for(Config()).path == tmp_path / "t.jsonl"
    assert history.trail_for(object()).path.name == "trail.jsonl"


def test_views_are_registered_with_keys_no_screen_binds():
    from vault_tui.config import view_names
    from vault_tui.views.registry import VIEWS, resolve

    assert resolve("certs").name == resolve("PKI").name == "pki"
    assert resolve("hygiene").name == resolve("lint").name == "lint"
    assert resolve("trail").name == resolve("history").name == "history"
    specs = {spec.name: spec for spec in VIEWS}
    assert specs["pki"].key == "ctrl+y" and specs["pki"].show_key
    assert not specs["lint"].show_key and not specs["history"].show_key
    keys = [spec.key for spec in VIEWS]
    assert len(keys) == len(set(keys))
    assert set(view_names()) == set(specs)  # --view and default_view accept every view
    screen_keys = {key.strip() for spec in VIEWS for binding in spec.screen.BINDINGS for key in binding.key.split(",")}
    assert not screen_keys & {specs[name].key for name in ("pki", "lint", "history")}


def test_view_models_import_no_textual():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import vault_tui.views.pki.model, vault_tui.views.history.model, vault_tui.views.lint.view_model\n"
        "import vault_tui.views.private_file\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
