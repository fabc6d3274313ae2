"""The dock views (PySide6), by domain: common/ (base, selection bus, annotations, overview, diagnostics),
heap/, jfr/, threads/, crash/."""
