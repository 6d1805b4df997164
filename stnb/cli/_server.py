"""`python -m stnb.cli._server MODULE ARGS...`: run a Jupyter server (`voila`, `jupyterlab`) as
`python -m MODULE ARGS...` would, one second or more sooner.

Jupyter servers import jupyter_events, whose schema validator imports every jsonschema format checker;
the checker for the `iri` formats (rfc3987_syntax) builds about 35 Lark parsers at import time: 1 s on
an idle 2-core machine, several under load, and no Jupyter schema uses those formats
(jupyter-server/jupyter_server#1559). jsonschema skips a checker whose library does not import, so this
runner makes that one library unimportable in the server's process (kernels are other processes).
"""

from __future__ import annotations

import runpy
import sys
from typing import Any, cast

SKIPPED = ("rfc3987_syntax",)


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m stnb.cli._server MODULE [ARGS...]")
    for name in SKIPPED:
        sys.modules.setdefault(name, cast(Any, None))  # None there: `import name` raises ImportError
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
