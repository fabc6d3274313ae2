"""What every dock shares: the DockView base, the selection bus, annotations, Overview and Diagnostics,
plotting helpers."""
