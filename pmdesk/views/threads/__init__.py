"""Thread-dump docks: threads, stack, stack groups, the series of dumps, the lock graph."""
