"""Heap-graph docks: histogram, dominator tree, object inspector, paths to GC roots, suspects, strings,
threads, compare."""
