"""VIEWS: every dock the main window creates, in creation order."""

from __future__ import annotations

from pmdesk.views.base import DockView
from pmdesk.views.diagnostics_view import DiagnosticsView
from pmdesk.views.histogram_view import HeapHistogramView
from pmdesk.views.overview_view import OverviewView

VIEWS: tuple[type[DockView], ...] = (HeapHistogramView, OverviewView, DiagnosticsView)
