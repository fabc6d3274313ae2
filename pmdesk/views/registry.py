"""VIEWS: every dock the main window creates, in creation order."""

from __future__ import annotations

from pmdesk.views.annotations_view import AnnotationsView
from pmdesk.views.base import DockView
from pmdesk.views.compare_view import CompareView
from pmdesk.views.core_disassembly_view import CoreDisassemblyView
from pmdesk.views.core_memory_view import CoreMemoryView
from pmdesk.views.core_modules_view import CoreModulesView
from pmdesk.views.core_registers_view import CoreRegistersView
from pmdesk.views.core_stack_view import CoreStackView
from pmdesk.views.core_summary_view import CoreSummaryView
from pmdesk.views.core_threads_view import CoreThreadsView
from pmdesk.views.diagnostics_view import DiagnosticsView
from pmdesk.views.dominator_view import DominatorTreeView
from pmdesk.views.duplicate_strings_view import DuplicateStringsView
from pmdesk.views.gc_paths_view import GCPathsView
from pmdesk.views.heap_threads_view import HeapThreadsView
from pmdesk.views.histogram_view import HeapHistogramView
from pmdesk.views.jfr_allocations_view import JfrAllocationsView
from pmdesk.views.jfr_event_browser_view import JfrEventBrowserView
from pmdesk.views.jfr_findings_view import JfrFindingsView
from pmdesk.views.jfr_gc_view import JfrGcView
from pmdesk.views.jfr_hot_methods_view import JfrHotMethodsView
from pmdesk.views.jfr_locks_view import JfrLocksView
from pmdesk.views.jfr_timeline_view import JfrTimelineView
from pmdesk.views.leak_suspects_view import LeakSuspectsView
from pmdesk.views.lock_graph_view import LockGraphView
from pmdesk.views.object_inspector_view import ObjectInspectorView
from pmdesk.views.overview_view import OverviewView
from pmdesk.views.series_view import SeriesView
from pmdesk.views.stack_groups_view import StackGroupsView
from pmdesk.views.stack_view import StackView
from pmdesk.views.threads_view import ThreadsView

VIEWS: tuple[type[DockView], ...] = (
    HeapHistogramView, DominatorTreeView, LeakSuspectsView, DuplicateStringsView, HeapThreadsView, CompareView,
    ThreadsView, StackGroupsView, SeriesView, JfrEventBrowserView, JfrFindingsView, JfrHotMethodsView, JfrGcView,
    JfrAllocationsView, JfrLocksView, JfrTimelineView, CoreSummaryView, CoreThreadsView, CoreStackView,
    CoreDisassemblyView, CoreRegistersView, CoreModulesView, CoreMemoryView,
    OverviewView, ObjectInspectorView, GCPathsView, StackView, LockGraphView, DiagnosticsView, AnnotationsView,
)
