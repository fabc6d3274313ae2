-- Tables of every heap dump, whatever its runtime (included by the heap formats' schemas).

-- The class histogram (what jmap -histo prints), one row per class with instances: a Java class, a Go
-- type or size class, a Python type.
CREATE TABLE heap_histogram (
    class_idx      INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    count          INTEGER NOT NULL,
    shallow_bytes  INTEGER NOT NULL,
    retained_bytes INTEGER             -- filled by the dominator pass; NULL until then
);

-- The node classes of a heap whose graph model is the generic one (Go, Python): every node's class, also
-- those of the graph's synthetic nodes (goroutines, frames, segments), which have no histogram row. HPROF
-- keeps its classes in hprof_class.
CREATE TABLE heap_class (
    class_idx INTEGER PRIMARY KEY, -- heap_node.class_idx
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL        -- 'object' | a synthetic node's kind ('goroutine', 'frame', 'segment', …)
);

-- Filled by the object-graph pass (index/derive/heap_graph.py) after the dump is indexed; per-node
-- arrays (graph.*: CSR of references and referrers, dominators, retained sizes) live in array_chunk.
-- Strings with equal values, grouped (MAT's "duplicate strings"): one row per value held by 2+ Strings.
CREATE TABLE IF NOT EXISTS heap_duplicate_string (
    rank         INTEGER PRIMARY KEY, -- 0 = most bytes wasted
    count        INTEGER NOT NULL,    -- java.lang.String objects with this value
    arrays       INTEGER NOT NULL,    -- distinct value arrays among them
    value_bytes  INTEGER NOT NULL,    -- bytes in one value array's contents
    wasted_bytes INTEGER NOT NULL,    -- shallow bytes of all but one String and all but one array
    string_node  INTEGER NOT NULL     -- one of the Strings (graph node), to read the value from
);

-- The dominator tree summarised by holder path (model/heap_diff.py), kept for comparisons with other
-- dumps: path elements joined by ' ▸ ', retained bytes and objects under it, a few of its objects.
CREATE TABLE IF NOT EXISTS heap_holder (
    path           TEXT PRIMARY KEY,
    retained_bytes INTEGER NOT NULL,
    objects        INTEGER NOT NULL,
    nodes          TEXT NOT NULL      -- JSON list of graph nodes at this path (first 16)
);
