"""JFR docks: event browser, findings, hot methods and flame graph, GC, allocations, locks, timeline."""
