"""The index side of the Go heap dump reader: the object graph the heap-graph pass is given."""
