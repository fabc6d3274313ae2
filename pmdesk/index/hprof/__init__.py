"""The index side of the HPROF reader: per-object columns with real shallow sizes, and the object graph
the heap-graph pass (index/derive/heap_graph.py) is given for a Java heap dump."""
