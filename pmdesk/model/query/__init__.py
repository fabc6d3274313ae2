"""The query console: SQL (and MAT's OQL) over any dump's index, read-only."""
