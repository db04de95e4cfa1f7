"""`distillscan schema` reads the input options the way `scan` does."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from distillscan.cli.main import main
from tests.helpers import at, requests_frame


def test_schema_maps_a_renamed_column_with_the_shared_map_option(tmp_path: Path) -> None:
    path = tmp_path / "renamed.parquet"
    rows = [{"account_id": f"a{i}", "timestamp": at(hours=i), "prompt": f"p{i}"} for i in range(3)]
    requests_frame(rows).rename({"account_id": "customer"}).write_parquet(path)
    plain = json.loads(CliRunner().invoke(main, ["schema", str(path), "--format", "json"]).stdout)
    mapped = CliRunner().invoke(main, ["schema", str(path), "--format", "json", "--map", "account_id=customer"])
    assert mapped.exit_code == 0, mapped.output
    document = json.loads(mapped.stdout)
    assert "account_id" in plain["missing_required"] and "account_id" not in document["missing_required"]
    assert document["mapping"]["account_id"] == ["customer"]
