"""PyInstaller runtime hook: numba keeps its compiled kernels in the user's cache dir (the frozen app's own
folder may be read-only)."""

import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "pmdesk" / "numba"))
