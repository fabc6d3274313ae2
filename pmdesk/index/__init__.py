"""The per-dump SQLite index: where it lives, how it is keyed, built atomically and read back."""
