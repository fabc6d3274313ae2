"""The index side of the Python heap snapshot reader: the object graph the heap-graph pass is given."""
