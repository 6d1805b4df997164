"""A warning raised for code in a notebook cell names the cell, not the kernel's temporary file."""

from __future__ import annotations

import warnings

from stnb._flow import warn_caller


def test_a_cell_is_named_not_its_temp_file() -> None:
    cell = compile(
        "warn_caller('only 2 pages read', UserWarning)\n", "/tmp/ipykernel_4242/1234567.py", "exec"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(cell, {"warn_caller": warn_caller, "__name__": "__main__"})
    (found,) = caught
    assert str(found.message) == "only 2 pages read"
    assert found.filename in ("this cell",) or found.filename.startswith("cell [")
    assert "ipykernel" not in found.filename and found.lineno == 1


def test_a_script_keeps_its_file_and_line() -> None:
    code = compile("\n\nwarn_caller('late', UserWarning)\n", "/home/me/pull.py", "exec")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(code, {"warn_caller": warn_caller, "__name__": "__main__"})
    (found,) = caught
    assert (found.filename, found.lineno) == ("/home/me/pull.py", 3)
