"""The usage ledger's storage, owned by the foundations: the SQLite file (`store`) and the writer thread
that records every attempt (`writer`).

`stnb.connect()` installs the process-wide ledger from here, so every connection is recorded whether or
not `stnb.usage` is ever imported, and the data layer never imports the usage layer. `stnb.usage` (the
analytics and the report) reads the same file through these functions; `stnb.usage.ledger` is the public
name of everything here. Import from the modules: `stnb._ledger.store`, `stnb._ledger.writer`.
"""
