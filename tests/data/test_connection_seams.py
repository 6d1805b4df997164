"""The seams between the data layer and the layers above (issue 16): `st.reports` comes from an accessor
the package root registers, so the connection imports nothing of the analysis layer; reports read the
connection through its typed, public interface (`stnb._connection.ReportSource`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stnb import _accessors
from stnb._clock import FakeClock
from stnb._connect import connect
from stnb._connection import Connection, ReportSource

PROBE = """
import json, sys
from stnb._connect import connect
st = connect(sandbox=True, progress=False)
before = "stnb.reports" in sys.modules
reports = st.reports
print(json.dumps({"before": before, "type": type(reports).__module__ + "." + type(reports).__name__,
                  "same": st.reports is reports, "categories": len(reports.categories())}))
"""


def test_st_reports_works_without_importing_the_reports_package_first() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        env={**os.environ, "STNB_LEDGER": "off"},
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["before"] is False, "connecting must not load the analysis layer"
    assert answer["type"] == "stnb.reports.client.Reports"
    assert answer["same"] is True, "one Reports per connection"
    assert answer["categories"] > 0


def test_reports_read_the_connection_through_its_public_interface() -> None:
    clock = FakeClock()
    with connect(sandbox=True, progress=True, clock=clock) as st:
        source: ReportSource = st  # the data layer's Protocol: mypy checks Connection against it
        assert source.clock is clock and st.client.clock is clock
        assert source.progress is True
        assert source.timezone == st.client.timezone
        reports = st.reports
        assert reports._clock is clock
        assert reports._progress(None) is True and reports._progress(False) is False


def test_a_connection_without_its_own_clock_uses_its_clients() -> None:
    clock = FakeClock()
    with connect(sandbox=True, progress=False, clock=clock) as st:
        bare = Connection(st.client)
        assert bare.clock is clock


def test_accessors_are_registered_by_name() -> None:
    assert "reports" in _accessors.registered()
    with pytest.raises(LookupError, match="no accessor 'nothing'"):
        _accessors.build("nothing", object())
    with pytest.raises(ValueError, match="identifier"):
        _accessors.register("not a name", lambda conn: conn)
