-- include: heap
-- include: samples
-- Go heap dumps (runtime/debug.WriteHeapDump). Addresses are stored as signed 64-bit (two's complement).
-- Graph nodes are the dump's objects in dump order, then synthetic nodes: the data and bss segments, each
-- goroutine, each stack frame, the finalizers and the finalizer queue, other roots. Per-node columns in
-- array_chunk: heap_node.id (u8: an object's address; a goroutine's g, a frame's sp, a segment's start),
-- heap_node.class_idx (i4 -> heap_class), heap_node.shallow (i8 bytes; 0 for synthetic nodes);
-- per-object: goheap_object.content (u8 byte offset of its contents in the dump), goheap_object.fields (u8
-- offset of its field list), goheap_object.type (i4 -> goheap_type.type_idx, -1: not known),
-- goheap_object.bucket (i4 -> goheap_bucket.bucket_idx, -1: not sampled).

CREATE TABLE goheap_type (
    type_idx INTEGER PRIMARY KEY,
    addr     INTEGER NOT NULL,   -- the runtime._type's address
    size     INTEGER NOT NULL,   -- bytes of one value
    name     TEXT NOT NULL,      -- 'main.Session', '*os.File', 'map[string]int'
    indirect INTEGER NOT NULL    -- 1: an interface holds a pointer to a copy of the value
);

CREATE TABLE goheap_itab (addr INTEGER PRIMARY KEY, type_addr INTEGER NOT NULL);

-- Goroutines (runnable, in a syscall, or waiting when the dump was written).
CREATE TABLE goheap_goroutine (
    node        INTEGER PRIMARY KEY, -- graph node
    goid        INTEGER NOT NULL,
    addr        INTEGER NOT NULL,    -- the g's address
    sp          INTEGER NOT NULL,
    go_pc       INTEGER NOT NULL,    -- pc of the go statement that created it
    status      TEXT NOT NULL,       -- 'runnable' | 'syscall' | 'waiting' | …
    system      INTEGER NOT NULL,    -- 1: a runtime goroutine
    wait_since  INTEGER NOT NULL,    -- nanotime the wait began (0: not recorded)
    wait_reason TEXT NOT NULL,       -- 'chan receive', 'GC worker (idle)', … ('' when not waiting)
    ctxt        INTEGER NOT NULL,
    m           INTEGER NOT NULL,    -- the OS thread (goheap_os_thread.addr) it runs on, 0 when none
    record      INTEGER NOT NULL     -- byte offset of its record
);

-- Stack frames, innermost (depth 0) first for each goroutine.
CREATE TABLE goheap_frame (
    node        INTEGER PRIMARY KEY, -- graph node
    goroutine   INTEGER,             -- the goroutine's node (NULL: a frame before any goroutine record)
    depth       INTEGER NOT NULL,
    sp          INTEGER NOT NULL,
    function    TEXT NOT NULL,
    entry       INTEGER NOT NULL,
    pc          INTEGER NOT NULL,
    frame_bytes INTEGER NOT NULL,
    record      INTEGER NOT NULL
);

-- The data and bss segments (the globals), finalizer and other roots: one graph node each.
CREATE TABLE goheap_root_node (
    node  INTEGER PRIMARY KEY,
    kind  TEXT NOT NULL,      -- 'data' | 'bss' | 'finalizers' | 'finalizer queue' | 'other'
    addr  INTEGER,            -- a segment's start
    bytes INTEGER,            -- a segment's size
    name  TEXT NOT NULL,      -- what the node is called ('data segment', an other root's description)
    record INTEGER            -- a segment's record (byte offset); NULL for the others
);

-- Other roots' pointers (the runtime names each root by a description: one node per description).
CREATE TABLE goheap_other_root (node INTEGER NOT NULL, pointer INTEGER NOT NULL);

CREATE TABLE goheap_finalizer (
    queued      INTEGER NOT NULL,  -- 1: queued to run (the object is unreachable but kept for it)
    object      INTEGER NOT NULL,
    fn          INTEGER NOT NULL,  -- the funcval
    fn_pc       INTEGER NOT NULL,
    fint        INTEGER NOT NULL,
    ot          INTEGER NOT NULL
);

CREATE TABLE goheap_os_thread (addr INTEGER PRIMARY KEY, id INTEGER NOT NULL, proc_id INTEGER NOT NULL);

CREATE TABLE goheap_defer (addr INTEGER, goroutine INTEGER, sp INTEGER, pc INTEGER, fn INTEGER, fn_pc INTEGER,
                           link INTEGER);
CREATE TABLE goheap_panic (addr INTEGER, goroutine INTEGER, arg_type INTEGER, arg_data INTEGER, link INTEGER);

-- Memory profile buckets (allocation stacks): what runtime.MemProfile holds, and the frames of each.
CREATE TABLE goheap_bucket (
    bucket_idx INTEGER PRIMARY KEY,
    addr       INTEGER NOT NULL,   -- the bucket's address (allocation samples name it)
    size       INTEGER NOT NULL,   -- bytes per allocation
    allocs     INTEGER NOT NULL,
    frees      INTEGER NOT NULL,
    site       TEXT NOT NULL       -- the innermost function outside the runtime (pprof's leaf)
);
CREATE TABLE goheap_bucket_frame (bucket_idx INTEGER NOT NULL, depth INTEGER NOT NULL, function TEXT NOT NULL,
                                  file TEXT NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (bucket_idx, depth));

-- The program's global variables, when the dump was indexed with the binary that wrote it (--exe): from
-- its DWARF, what a root's global is called.
CREATE TABLE goheap_global (
    address INTEGER NOT NULL,   -- where it lives (in the data or bss segment)
    size    INTEGER NOT NULL,   -- bytes
    name    TEXT NOT NULL       -- 'main.registry'
);
