"""Java (and, later, other runtimes') heap queries: histogram, object graph, dominators, objects, reports, diff."""
