"""Typed, Qt-free queries over a dump's index: what the views and the CLI call."""
