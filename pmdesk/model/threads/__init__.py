"""Thread-dump queries: threads, locks, deadlocks, stack groups and stuck threads across a series."""
