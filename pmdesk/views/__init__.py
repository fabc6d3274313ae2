"""The dock views (PySide6): one module per dock, item models under views/models/."""
