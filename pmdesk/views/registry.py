"""VIEWS: every dock the main window creates, in creation order."""

from __future__ import annotations

from pmdesk.views.base import DockView
from pmdesk.views.diagnostics_view import DiagnosticsView
from pmdesk.views.dominator_view import DominatorTreeView
from pmdesk.views.duplicate_strings_view import DuplicateStringsView
from pmdesk.views.gc_paths_view import GCPathsView
from pmdesk.views.heap_threads_view import HeapThreadsView
from pmdesk.views.histogram_view import HeapHistogramView
from pmdesk.views.leak_suspects_view import LeakSuspectsView
from pmdesk.views.object_inspector_view import ObjectInspectorView
from pmdesk.views.overview_view import OverviewView

VIEWS: tuple[type[DockView], ...] = (HeapHistogramView, DominatorTreeView, LeakSuspectsView, DuplicateStringsView,
                                     HeapThreadsView, OverviewView, ObjectInspectorView, GCPathsView, DiagnosticsView)
