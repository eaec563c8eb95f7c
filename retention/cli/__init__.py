"""The `retention` command line."""
