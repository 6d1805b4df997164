"""Every connection records its attempts in the ledger even when the usage layer is never imported:
the ledger's file and writer belong to the foundations (`stnb._ledger`), and connecting imports nothing
of `stnb.usage` (issue 16: no arrow from the data layer up to analysis)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import stnb
st = stnb.connect(sandbox=True, progress=False)
rows = st.frame("crm/customers", max_pages=1).height
st.close()
from stnb._ledger.writer import installed_ledger
assert installed_ledger().flush()
print(json.dumps({"rows": rows, "usage": sorted(m for m in sys.modules if m.startswith("stnb.usage"))}))
"""


def _probe(ledger: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        env={**os.environ, "STNB_LEDGER": ledger},
    )
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_a_connection_records_without_importing_the_usage_layer(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    answer = _probe(str(db))
    assert answer["usage"] == [], "connecting and pulling must not import stnb.usage"
    assert isinstance(answer["rows"], int) and answer["rows"] > 0
    with sqlite3.connect(db) as conn:
        recorded = conn.execute("SELECT count(*), sum(sandbox) FROM attempts").fetchone()
        endpoints = {row[0] for row in conn.execute("SELECT endpoint FROM attempts")}
    assert recorded[0] >= 2 and recorded[1] == recorded[0], "token + list attempts, flagged as sandbox"
    assert "/crm/v2/tenant/{tenant}/customers" in endpoints


def test_stnb_ledger_off_records_nothing(tmp_path: Path) -> None:
    probe = PROBE.replace("assert installed_ledger().flush()", "assert installed_ledger() is None")
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        env={**os.environ, "STNB_LEDGER": "off", "HOME": str(tmp_path)},
    )
    assert json.loads(result.stdout.strip().splitlines()[-1])["usage"] == []
    assert not list(tmp_path.rglob("*.sqlite3"))
