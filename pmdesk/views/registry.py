"""VIEWS: every dock the main window creates, in creation order."""

from __future__ import annotations

from pmdesk.views.common.annotations_view import AnnotationsView
from pmdesk.views.common.base import DockView
from pmdesk.views.common.diagnostics_view import DiagnosticsView
from pmdesk.views.common.overview_view import OverviewView
from pmdesk.views.common.query_view import QueryView
from pmdesk.views.crash.disassembly_view import CrashDisassemblyView
from pmdesk.views.crash.logcat_view import CrashLogcatView
from pmdesk.views.crash.memory_map_view import CrashMemoryMapView
from pmdesk.views.crash.memory_view import CrashMemoryView
from pmdesk.views.crash.modules_view import CrashModulesView
from pmdesk.views.crash.registers_view import CrashRegistersView
from pmdesk.views.crash.sections_view import CrashSectionsView
from pmdesk.views.crash.stack_view import CrashStackView
from pmdesk.views.crash.summary_view import CrashSummaryView
from pmdesk.views.crash.threads_view import CrashThreadsView
from pmdesk.views.heap.compare_view import CompareView
from pmdesk.views.heap.dominator_view import DominatorTreeView
from pmdesk.views.heap.duplicate_strings_view import DuplicateStringsView
from pmdesk.views.heap.gc_paths_view import GCPathsView
from pmdesk.views.heap.histogram_view import HeapHistogramView
from pmdesk.views.heap.leak_suspects_view import LeakSuspectsView
from pmdesk.views.heap.object_inspector_view import ObjectInspectorView
from pmdesk.views.heap.requests_view import RequestsView
from pmdesk.views.heap.threads_view import HeapThreadsView
from pmdesk.views.jfr.allocations_view import JfrAllocationsView
from pmdesk.views.jfr.event_browser_view import JfrEventBrowserView
from pmdesk.views.jfr.findings_view import JfrFindingsView
from pmdesk.views.jfr.gc_view import JfrGcView
from pmdesk.views.jfr.hot_methods_view import JfrHotMethodsView
from pmdesk.views.jfr.locks_view import JfrLocksView
from pmdesk.views.jfr.timeline_view import JfrTimelineView
from pmdesk.views.samples.annotate_view import ProfileAnnotateView
from pmdesk.views.samples.flame_view import ProfileFlameView
from pmdesk.views.samples.functions_view import ProfileFunctionsView
from pmdesk.views.samples.sandwich_view import ProfileSandwichView
from pmdesk.views.samples.timeline_view import ProfileTimelineView
from pmdesk.views.samples.tree_view import ProfileTreeView
from pmdesk.views.threads.lock_graph_view import LockGraphView
from pmdesk.views.threads.series_view import SeriesView
from pmdesk.views.threads.stack_groups_view import StackGroupsView
from pmdesk.views.threads.stack_view import StackView
from pmdesk.views.threads.threads_view import ThreadsView

VIEWS: tuple[type[DockView], ...] = (
    HeapHistogramView, DominatorTreeView, LeakSuspectsView, DuplicateStringsView, HeapThreadsView, RequestsView,
    CompareView,
    ThreadsView, StackGroupsView, SeriesView, JfrEventBrowserView, JfrFindingsView, JfrHotMethodsView, JfrGcView,
    JfrAllocationsView, JfrLocksView, JfrTimelineView, CrashSummaryView, CrashThreadsView, CrashStackView,
    CrashDisassemblyView, CrashRegistersView, CrashModulesView, CrashMemoryView, CrashMemoryMapView,
    CrashLogcatView, CrashSectionsView, ProfileFlameView, ProfileFunctionsView, ProfileTreeView, ProfileSandwichView,
    ProfileAnnotateView, ProfileTimelineView,
    OverviewView, QueryView, ObjectInspectorView, GCPathsView, StackView, LockGraphView, DiagnosticsView,
    AnnotationsView,
)
