"""KV transfer against a real OpenBao: export / import (KV v1 and v2, and across), dry runs that write
nothing, CAS conflicts that overwrite nothing, copy / move / rename, .env export, and the CLI."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import hvac
import pytest
from conftest import unique

from vault_tui.vault import envfile, kv, transfer_import, transfer_moves
from vault_tui.vault import transfer as tr
from vault_tui.vault.errors import InvalidRequest, ReadOnlyMode
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import EngineKind, VersionState

REPO = Path(__file__).resolve().parent.parent

DB = {"user": "app", "password": "s3cr3t-db-VALUE"}
API = {"token": "tok-VALUE-123", "n": 5, "nested": {"a": [1, 2]}, "flag": True}
ROOT = {"root": "root-VALUE"}
OUTSIDE = {"x": "outside-VALUE"}
VALUES = ("s3cr3t-db-VALUE", "tok-VALUE-123", "root-VALUE", "outside-VALUE")


@pytest.fixture
def mounts(root_client):
    """A factory of fresh KV mounts: ``mounts("2")`` → mount name. Removed afterwards."""
    made: list[str] = []

    def make(version: str) -> str:
        path = unique(f"tr{version}-")
        root_client.sys.enable_secrets_engine("kv", path=path, options={"version": version})
        made.append(path)
        return path

    yield make
    for path in made:
        try:
            root_client.sys.disable_secrets_engine(path)
        except Exception:
            pass


def put(client: hvac.Client, mount: str, version: str, path: str, data: dict) -> None:
    if version == "2":
        client.secrets.kv.v2.create_or_update_secret(path, data, mount_point=mount)
    else:
        client.secrets.kv.v1.create_or_update_secret(path, data, mount_point=mount)


def get(client: hvac.Client, mount: str, version: str, path: str) -> dict | None:
    try:
        if version == "2":
            return client.secrets.kv.v2.read_secret_version(path, mount_point=mount, raise_on_deleted_version=True)[
                "data"
            ]["data"]
        return client.secrets.kv.v1.read_secret(path, mount_point=mount)["data"]
    except hvac.exceptions.InvalidPath:
        return None


def server_paths(client: hvac.Client, mount: str, version: str) -> list[str]:
    """Every secret path on a mount, straight from the server (SCAN)."""
    prefix = f"{mount}/metadata/" if version == "2" else f"{mount}/"
    try:
        body = client.adapter.request("SCAN", f"/v1/{prefix}")
    except hvac.exceptions.InvalidPath:
        return []
    return sorted((body.get("data") or {}).get("keys") or [])


def seed(client: hvac.Client, mount: str, version: str) -> None:
    put(client, mount, version, "app", ROOT)
    put(client, mount, version, "app/db", DB)
    put(client, mount, version, "app/api/key", API)
    put(client, mount, version, "other/x", OUTSIDE)
    if version == "2":
        client.secrets.kv.v2.update_metadata(
            "app/db",
            mount_point=mount,
            max_versions=5,
            cas_required=True,
            delete_version_after="3h",
            custom_metadata={"owner": "team-a"},
        )
        put(client, mount, version, "app/gone", {"k": "v"})
        client.secrets.kv.v2.delete_latest_version_of_secret("app/gone", mount_point=mount)


def export_text(gateway: Gateway, loc: tr.KvLocation, *, metadata: bool = False) -> str:
    out = io.StringIO()
    tr.export_subtree(gateway, loc, out, metadata=metadata)
    return out.getvalue()


# -- export / import ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("src_version", "dst_version"), [("2", "2"), ("1", "1"), ("1", "2"), ("2", "1")])
def test_export_import_round_trip(gateway, root_client, mounts, src_version, dst_version):
    src, dst = mounts(src_version), mounts(dst_version)
    seed(root_client, src, src_version)
    source = tr.resolve_location(gateway, f"{src}/app")
    assert source.kind is (EngineKind.KV2 if src_version == "2" else EngineKind.KV1) and source.path == "app"
    text = export_text(gateway, source, metadata=True)
    document = tr.load_export(text)
    assert document.relpaths == ("", "api/key", "db")  # "other/x" is outside, "gone" is deleted
    raw = json.loads(text)
    assert raw["format"] == "vault-tui-kv-export" and raw["version"] == 1 and raw["root"] == "app"
    assert raw["mount"] == f"{src}/" and raw["kind"] == f"kv{src_version}"
    if src_version == "2":
        assert raw["skipped"] == [{"path": "gone", "reason": "its newest version is deleted"}]
        assert raw["secrets"]["db"]["metadata"]["custom_metadata"] == {"owner": "team-a"}

    target = tr.resolve_location(gateway, f"{dst}/copy")
    plan = transfer_import.plan_import(gateway, document, target)
    assert {i.relpath: i.change for i in plan.items} == dict.fromkeys(("", "api/key", "db"), transfer_import.Change.NEW)
    for value in VALUES:
        assert value not in repr(plan)
    result = transfer_import.apply_import(gateway, plan)
    assert result.ok and len(result.written) == 3

    assert get(root_client, dst, dst_version, "copy") == ROOT
    assert get(root_client, dst, dst_version, "copy/db") == DB
    assert get(root_client, dst, dst_version, "copy/api/key") == API
    assert server_paths(root_client, dst, dst_version) == ["copy", "copy/api/key", "copy/db"]
    if src_version == dst_version == "2":
        meta = root_client.secrets.kv.v2.read_secret_metadata("copy/db", mount_point=dst)["data"]
        assert meta["custom_metadata"] == {"owner": "team-a"} and meta["max_versions"] == 5
        assert meta["cas_required"] is True and meta["delete_version_after"] == "3h0m0s"
    if src_version == "2" and dst_version == "1":
        assert plan.notes == ("the export's metadata is not imported: KV v1 has no metadata",)

    # The same import again: everything unchanged, nothing written.
    again = transfer_import.plan_import(gateway, tr.load_export(text), target)
    assert {i.change for i in again.items} == {transfer_import.Change.UNCHANGED} and not again.writes
    before = kv.read_metadata(gateway, dst, "copy/db").current_version if dst_version == "2" else None
    assert [o.outcome for o in transfer_import.apply_import(gateway, again).outcomes] == [
        transfer_import.Outcome.UNCHANGED
    ] * 3
    if dst_version == "2":
        assert kv.read_metadata(gateway, dst, "copy/db").current_version == before


def test_dry_run_writes_nothing_and_shows_key_names_only(gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    seed(root_client, src, "2")
    document = tr.load_export(export_text(gateway, tr.resolve_location(gateway, f"{src}/app")))
    put(root_client, dst, "2", "x/db", {"user": "app", "password": "other", "extra": "1"})
    put(root_client, dst, "2", "x", ROOT)
    before_paths = server_paths(root_client, dst, "2")
    before_version = kv.read_metadata(gateway, dst, "x/db").current_version

    plan = transfer_import.plan_import(gateway, document, tr.resolve_location(gateway, f"{dst}/x"))
    items = {i.relpath: i for i in plan.items}
    assert items[""].change is transfer_import.Change.UNCHANGED
    assert items["api/key"].change is transfer_import.Change.NEW and items["api/key"].cas == 0
    db = items["db"]
    assert db.change is transfer_import.Change.CHANGED and db.cas == before_version
    assert (db.added, db.removed, db.changed) == ((), ("extra",), ("password",))
    for value in (*VALUES, "other"):
        assert value not in repr(plan) and value not in repr(db)
    assert (
        plan.count(transfer_import.Change.NEW),
        plan.count(transfer_import.Change.CHANGED),
        plan.count(transfer_import.Change.UNCHANGED),
    ) == (1, 1, 1)
    # Nothing changed at the server.
    assert server_paths(root_client, dst, "2") == before_paths
    assert kv.read_metadata(gateway, dst, "x/db").current_version == before_version

    preview = tr.preview_export(gateway, tr.resolve_location(gateway, f"{src}/app"))
    assert [(i.relpath, i.keys) for i in preview.exportable] == [
        ("", ("root",)),
        ("api/key", ("flag", "n", "nested", "token")),
        ("db", ("password", "user")),
    ]
    assert [(i.relpath, i.state) for i in preview.skipped] == [("gone", VersionState.DELETED)]
    for value in VALUES:
        assert value not in repr(preview)
    blind = tr.preview_export(gateway, tr.resolve_location(gateway, f"{src}/app"), keys=False)
    assert [i.relpath for i in blind.items] == ["", "api/key", "db", "gone"] and not blind.keys_read
    assert all(i.keys == () for i in blind.items)


@pytest.mark.parametrize("version", ["2", "1"])
def test_cas_conflict_is_reported_and_nothing_overwritten(gateway, root_client, mounts, version):
    src, dst = mounts(version), mounts(version)
    seed(root_client, src, version)
    document = tr.load_export(export_text(gateway, tr.resolve_location(gateway, f"{src}/app")))
    put(root_client, dst, version, "x/db", {"user": "old"})
    plan = transfer_import.plan_import(gateway, document, tr.resolve_location(gateway, f"{dst}/x"))
    # Someone else writes between the dry run and the import: to a changed path and to a new one.
    put(root_client, dst, version, "x/db", {"user": "concurrent"})
    put(root_client, dst, version, "x/api/key", {"made": "meanwhile"})
    result = transfer_import.apply_import(gateway, plan)
    outcome = {o.relpath: o.outcome for o in result.outcomes}
    assert outcome == {
        "": transfer_import.Outcome.WRITTEN,
        "api/key": transfer_import.Outcome.CONFLICT,
        "db": transfer_import.Outcome.CONFLICT,
    }
    assert not result.ok and "nothing was overwritten" in result.conflicts[0].message
    assert get(root_client, dst, version, "x/db") == {"user": "concurrent"}
    assert get(root_client, dst, version, "x/api/key") == {"made": "meanwhile"}
    assert get(root_client, dst, version, "x") == ROOT


def test_bad_documents_are_refused(gateway, mounts):
    cases = [
        ("not json", "not valid JSON"),
        ('{"format": "other"}', "not a vault-tui KV export"),
        ('{"format": "vault-tui-kv-export", "version": 9, "kind": "kv2", "secrets": {}}', "newer"),
        (
            '{"format": "vault-tui-kv-export", "version": 1, "kind": "kv2", "secrets": {"../x": {"data": {"a": 1}}}}',
            "'..'",
        ),
        (
            '{"format": "vault-tui-kv-export", "version": 1, "kind": "kv2", "secrets": {"x": {"data": {}}}}',
            "at least one key",
        ),
    ]
    for text, message in cases:
        with pytest.raises(tr.ExportFormatError, match=message):
            tr.load_export(text)
    document = tr.parse_export(
        {"format": "vault-tui-kv-export", "version": 1, "kind": "kv1", "secrets": {"": {"data": {"a": "b"}}}}
    )
    with pytest.raises(InvalidRequest, match="not to a whole mount"):
        transfer_import.plan_import(gateway, document, tr.resolve_location(gateway, mounts("2")))


def test_read_only_gateway_refuses_writes(settings, gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    seed(root_client, src, "2")
    document = tr.load_export(export_text(gateway, tr.resolve_location(gateway, f"{src}/app")))
    read_only = Gateway(settings, read_only=True)
    read_only.server_info()
    plan = transfer_import.plan_import(
        read_only, document, tr.resolve_location(read_only, f"{dst}/x")
    )  # reading is fine
    with pytest.raises(ReadOnlyMode):
        transfer_import.apply_import(read_only, plan)
    move = transfer_moves.plan_transfer(
        read_only, tr.resolve_location(read_only, f"{src}/app"), tr.resolve_location(read_only, dst + "/y"), move=True
    )
    with pytest.raises(ReadOnlyMode):
        transfer_moves.run_transfer(read_only, move)
    assert server_paths(root_client, dst, "2") == []


# -- copy / move / rename -----------------------------------------------------------------------------
def _versions(client: hvac.Client, mount: str, path: str) -> dict[int, dict]:
    meta = client.secrets.kv.v2.read_secret_metadata(path, mount_point=mount)["data"]
    out = {}
    for number in sorted(int(v) for v in meta["versions"]):
        out[number] = client.secrets.kv.v2.read_secret_version(path, version=number, mount_point=mount)["data"]["data"]
    return out


def test_move_across_mounts_newest_only(gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    seed(root_client, src, "2")
    root_client.secrets.kv.v2.create_or_update_secret("app/db", DB | {"password": "v2"}, mount_point=src, cas=1)
    # delete_version_after schedules a deletion: version 2 has a future deletion_time but is live
    scheduled = kv.read_metadata(gateway, src, "app/db").version(2)
    assert scheduled is not None and scheduled.deletion_time is not None and scheduled.state is VersionState.LIVE
    source = tr.resolve_location(gateway, f"{src}/app")
    target = tr.resolve_location(gateway, f"{dst}/moved")
    plan = transfer_moves.plan_transfer(gateway, source, target, move=True)
    assert any("history does not follow" in n for n in plan.notes)
    assert [(i.relpath, i.target, i.copyable) for i in plan.items] == [
        ("", "moved", True),
        ("api/key", "moved/api/key", True),
        ("db", "moved/db", True),
        ("gone", "moved/gone", False),
    ]
    assert not plan.conflicts
    result = transfer_moves.run_transfer(gateway, plan)
    assert [o.outcome for o in result.outcomes] == [transfer_import.Outcome.WRITTEN] * 3 + [
        transfer_import.Outcome.SKIPPED
    ]
    assert sorted(result.deleted) == ["app", "app/api/key", "app/db"]
    assert result.kept == (("app/gone", "it was not copied (its newest version is deleted or destroyed)"),)
    assert _versions(root_client, dst, "moved/db") == {1: DB | {"password": "v2"}}  # newest only
    meta = root_client.secrets.kv.v2.read_secret_metadata("moved/db", mount_point=dst)["data"]
    assert meta["custom_metadata"] == {"owner": "team-a"}  # metadata followed
    assert server_paths(root_client, src, "2") == ["app/gone", "other/x"]
    assert get(root_client, dst, "2", "moved") == ROOT and get(root_client, dst, "2", "moved/api/key") == API


def test_move_all_versions_in_order(gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    for n in range(1, 6):
        put(root_client, src, "2", "svc/cfg", {"n": str(n)})
    root_client.secrets.kv.v2.delete_secret_versions("svc/cfg", versions=[2], mount_point=src)
    root_client.secrets.kv.v2.destroy_secret_versions("svc/cfg", versions=[4], mount_point=src)
    # a second secret whose newest version is deleted: its older live versions still move
    put(root_client, src, "2", "svc/old", {"n": "1"})
    put(root_client, src, "2", "svc/old", {"n": "2"})
    root_client.secrets.kv.v2.delete_latest_version_of_secret("svc/old", mount_point=src)
    plan = transfer_moves.plan_transfer(
        gateway,
        tr.resolve_location(gateway, f"{src}/svc"),
        tr.resolve_location(gateway, f"{dst}/svc"),
        move=True,
        all_versions=True,
    )
    item, old = plan.items
    assert item.relpath == "cfg" and item.versions == (1, 3, 5)
    assert item.skipped_versions == ((2, VersionState.DELETED), (4, VersionState.DESTROYED))
    assert old.versions == (1,) and old.source_state is VersionState.DELETED and old.copyable
    assert any("3 deleted or destroyed version(s)" in n for n in plan.notes)
    result = transfer_moves.run_transfer(gateway, plan)
    assert result.ok, (result.failed, result.kept)
    assert [o.versions_written for o in result.written] == [3, 1]
    assert sorted(result.deleted) == ["svc/cfg", "svc/old"]
    assert _versions(root_client, dst, "svc/cfg") == {1: {"n": "1"}, 2: {"n": "3"}, 3: {"n": "5"}}
    assert _versions(root_client, dst, "svc/old") == {1: {"n": "1"}}
    assert server_paths(root_client, src, "2") == []


def test_move_keeps_a_source_written_meanwhile(gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    put(root_client, src, "2", "a", {"n": "1"})
    plan = transfer_moves.plan_transfer(
        gateway,
        tr.resolve_location(gateway, f"{src}/a"),
        tr.resolve_location(gateway, f"{dst}/a"),
        move=True,
        all_versions=True,
    )
    put(root_client, src, "2", "a", {"n": "2"})  # after the preview, before the move
    result = transfer_moves.run_transfer(gateway, plan)
    assert result.deleted == () and "changed while it was being moved" in result.kept[0][1]
    assert get(root_client, src, "2", "a") == {"n": "2"}


def test_copy_refuses_existing_targets_and_move_keeps_sources_on_failure(gateway, root_client, mounts):
    src, dst = mounts("2"), mounts("2")
    seed(root_client, src, "2")
    put(root_client, dst, "2", "c/db", {"keep": "me"})
    source = tr.resolve_location(gateway, f"{src}/app")
    target = tr.resolve_location(gateway, f"{dst}/c")
    plan = transfer_moves.plan_transfer(gateway, source, target, move=True)
    assert [i.target for i in plan.conflicts] == ["c/db"]
    with pytest.raises(transfer_moves.TransferConflict, match="1 target"):
        transfer_moves.run_transfer(gateway, plan)
    assert server_paths(root_client, dst, "2") == ["c/db"]  # nothing written
    # Overwrite allowed, but the target changes after the preview: CAS stops it, and the move deletes nothing.
    put(root_client, dst, "2", "c/db", {"keep": "newer"})
    result = transfer_moves.run_transfer(gateway, plan, overwrite=True)
    assert [o.outcome for o in result.failed] == [transfer_import.Outcome.CONFLICT]
    assert result.deleted == () and "nothing was deleted" in result.notes[0]
    assert get(root_client, dst, "2", "c/db") == {"keep": "newer"}
    assert get(root_client, src, "2", "app/db") == DB and get(root_client, src, "2", "app") == ROOT
    # Overlapping source and target are refused.
    with pytest.raises(InvalidRequest, match="overlap"):
        transfer_moves.plan_transfer(gateway, source, tr.resolve_location(gateway, f"{src}/app/inner"))


def test_rename_and_v1_to_v2_move(gateway, root_client, mounts):
    v2, v1 = mounts("2"), mounts("1")
    seed(root_client, v2, "2")
    plan = transfer_moves.plan_transfer(
        gateway,
        tr.resolve_location(gateway, f"{v2}/app/db"),
        tr.resolve_location(gateway, f"{v2}/app/database"),
        move=True,
    )
    assert transfer_moves.run_transfer(gateway, plan).ok
    assert get(root_client, v2, "2", "app/database") == DB and get(root_client, v2, "2", "app/db") is None

    seed(root_client, v1, "1")
    plan = transfer_moves.plan_transfer(
        gateway, tr.resolve_location(gateway, f"{v1}/app"), tr.resolve_location(gateway, f"{v2}/from1"), move=True
    )
    result = transfer_moves.run_transfer(gateway, plan)
    assert result.ok and sorted(result.deleted) == ["app", "app/api/key", "app/db"]
    assert get(root_client, v2, "2", "from1/api/key") == API and server_paths(root_client, v1, "1") == ["other/x"]


# -- .env ----------------------------------------------------------------------------------------------
TRICKY = {
    "PLAIN": "abc",
    "SPACES": "a b  c",
    "QUOTE": "it's",
    "DOUBLE": 'say "hi"',
    "BACKSLASH": "C:\\path\\to",
    "NEWLINE": "line1\nline2",
    "DOLLAR": "$HOME and ${X}",
    "HASH": "a # not a comment",
    "EMPTY": "",
    "NUMBER": 42,
    "JSON": {"a": [1, 2]},
    "db-password": "dash",
    "1ABC": "digit",
    "lower_ok": "fine",
}


def test_format_dotenv():
    result = envfile.format_dotenv(TRICKY)
    lines = dict(line.split("=", 1) for line in result.text.splitlines())
    assert lines["PLAIN"] == "'abc'" and lines["SPACES"] == "'a b  c'" and lines["EMPTY"] == "''"
    assert lines["QUOTE"] == '"it\'s"' and lines["DOUBLE"] == "'say \"hi\"'"
    assert lines["BACKSLASH"] == '"C:\\\\path\\\\to"' and lines["NEWLINE"] == '"line1\\nline2"'
    assert lines["DOLLAR"] == "'$HOME and ${X}'" and lines["HASH"] == "'a # not a comment'"
    assert lines["NUMBER"] == "'42'" and lines["JSON"] == "'{\"a\":[1,2]}'"
    assert set(result.rejected) == {
        ("db-password", "not a valid environment variable name (letters, digits and _, not starting with a digit)"),
        ("1ABC", "not a valid environment variable name (letters, digits and _, not starting with a digit)"),
    }
    assert "lower_ok" in result.written and len(result.written) == 12
    assert "abc" not in repr(result)
    # python-dotenv reads back exactly what was stored
    dotenv = pytest.importorskip("dotenv")
    parsed = dotenv.dotenv_values(stream=io.StringIO(result.text), interpolate=False)
    expected = {k: envfile.env_text(v) for k, v in TRICKY.items() if k in result.written}
    assert parsed == expected


def test_export_dotenv_file(gateway, root_client, mounts, tmp_path):
    mount = mounts("2")
    put(root_client, mount, "2", "svc", {"API_KEY": "k-VALUE", "bad-name": "x", "MULTI": "a\nb"})
    target = tmp_path / "svc.env"
    old = os.umask(0)
    try:
        result = envfile.export_dotenv(gateway, tr.resolve_location(gateway, f"{mount}/svc"), target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    assert "API_KEY='k-VALUE'" in text and 'MULTI="a\\nb"' in text and "bad-name" not in text
    assert text.startswith("# exported by vault-tui from ") and "version 1" in text
    assert result.rejected[0][0] == "bad-name"
    from vault_tui.exporting import ExportFileError

    with pytest.raises(ExportFileError, match="already exists"):
        envfile.export_dotenv(gateway, tr.resolve_location(gateway, f"{mount}/svc"), target)


# -- the command line -----------------------------------------------------------------------------------
def _env(bao, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(
        HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), VAULT_ADDR=bao.addr, VAULT_TOKEN=bao.root_token
    )
    return env


def _run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vault_tui", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_cli_kv_export_and_import(bao, gateway, root_client, mounts, tmp_path):
    src, dst = mounts("2"), mounts("1")
    seed(root_client, src, "2")
    env = _env(bao, tmp_path)
    result = _run(["kv", "export", f"{src}/app"], env)
    assert result.returncode == 0, result.stderr
    assert tr.load_export(result.stdout).relpaths == ("", "api/key", "db")
    assert "skipped" in result.stderr and "gone" in result.stderr

    exported = tmp_path / "app.json"
    result = _run(["kv", "export", f"{src}/app", "--metadata", "--output", str(exported)], env)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600 and result.stdout == ""
    assert tr.load_export(exported.read_text()).has_metadata

    preview = _run(["kv", "export", f"{src}/app", "--preview"], env)
    assert preview.returncode == 0 and "password, user" in preview.stdout
    assert not any(value in preview.stdout for value in VALUES)

    dry = _run(["kv", "import", str(exported), "--to", f"{dst}/imported", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].startswith("new") and f"{dst}/imported/db" in dry.stdout
    assert "+password" in dry.stdout and not any(value in dry.stdout + dry.stderr for value in VALUES)
    assert "nothing was written" in dry.stderr and "metadata is not imported" in dry.stderr
    assert server_paths(root_client, dst, "1") == []

    real = _run(["kv", "import", str(exported), "--to", f"{dst}/imported"], env)
    assert real.returncode == 0, real.stderr
    assert get(root_client, dst, "1", "imported/db") == DB and get(root_client, dst, "1", "imported") == ROOT
    assert get(root_client, dst, "1", "imported/api/key") == API

    # read-only refuses the import (but not the dry run); bad input is exit 2
    assert _run(["kv", "import", str(exported), "--to", f"{dst}/ro", "--read-only"], env).returncode == 2
    assert _run(["kv", "import", str(exported), "--to", f"{dst}/ro", "--read-only", "--dry-run"], env).returncode == 0
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{nope")
    bad = _run(["kv", "import", str(garbage), "--to", f"{dst}/x"], env)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert _run(["kv", "import", str(exported)], env).returncode == 2  # --to is required
    missing = _run(["kv", "export", f"{src}/nothing-here"], env)
    assert missing.returncode == 1 and "no secret" in missing.stderr


def test_cli_kv_export_refuses_a_terminal(bao, root_client, mounts, tmp_path):
    src = mounts("2")
    seed(root_client, src, "2")
    main_fd, child_fd = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "vault_tui", "kv", "export", f"{src}/app"],
            env=_env(bao, tmp_path),
            cwd=REPO,
            stdout=child_fd,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(child_fd)
        os.close(main_fd)
    assert result.returncode == 2 and "refusing to print secret values to a terminal" in result.stderr
