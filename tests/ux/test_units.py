"""Fast unit tests of the first-contact helpers (part of `make test-fast`)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml

from activation.config import load_syncs
from activation.declarations import BrokenSync
from orchestration.audience_scaffold import scaffold_audience
from orchestration.defs.activation.assets import broken_sync_keys
from retention.cli.console import PLAIN_WIDTH, make_console

ROOT = Path(__file__).resolve().parents[2]


def test_console_off_a_terminal_is_wide(monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console(file=io.StringIO()).width == PLAIN_WIDTH


def test_broken_sync_keys_are_valid_and_unique() -> None:
    broken = [
        BrokenSync("VIP Klaviyo!", "aud_x", "x.yml", "e"),
        BrokenSync("dup", "aud_x", "x.yml", "e"),
        BrokenSync("dup", "aud_x", "x.yml", "e"),
    ]
    keys = [key.path[-1] for key in broken_sync_keys(broken, taken={"dup"})]
    assert keys == ["vip_klaviyo", "dup_invalid", "dup_invalid3"]


def test_scaffold_declares_a_typed_contract_and_a_valid_sync(tmp_path: Path) -> None:
    (tmp_path / "models" / "audiences").mkdir(parents=True)
    sql, yml = scaffold_audience(tmp_path, "lapsed_vips", channel="sms", destination="attentive")
    document = yaml.safe_load(yml.read_text())
    (model,) = document["models"]
    assert model["config"]["contract"] == {"enforced": True}
    assert all(column.get("data_type") for column in model["columns"])
    selected = re.search(r"select\s+(.*?)\s+from members", sql.read_text(), re.S)
    assert selected and "audience_contact_columns()" in selected.group(1)
    (sync,) = load_syncs(tmp_path)
    assert (sync.name, sync.channel) == ("lapsed_vips_attentive", "sms")
    assert sync.identifiers == {"phone": "phone"}  # Attentive keys people by phone only


def test_fast_test_list_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"FAST_TESTS :=(.*?)\n\n", makefile, re.S).group(1)
    paths = listed.replace("\\", " ").split()
    assert paths and all((ROOT / path).exists() for path in paths), paths
