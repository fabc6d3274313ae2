"""Format-independent basics shared by every layer: errors and progress reporting (no third-party imports)."""
