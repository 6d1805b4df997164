"""The `stnb` command line."""
