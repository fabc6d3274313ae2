-- Stack samples (the 'samples' kind): profiles of any source — perf, pprof, folded stacks, bpftrace — in one
-- shape. Stacks are a trie: node 0 is the root (no frame); every other node is a frame called by its
-- parent's. A sample names the node of its innermost frame. The bulk columns are arrays (array_chunk):
--   sp_node.parent  int32   parent node (-1 for the root), always lower than the node
--   sp_node.frame   int32   -> sp_frame.idx (-1 for the root)
--   sp_sample.node  int32   innermost frame's node
--   sp_sample.value.<i> float64  the sample's value of sp_value_type <i> (a count, nanoseconds, bytes…)
--   sp_sample.thread int32  -> sp_thread.idx, -1 when the source has no threads
--   sp_sample.event  int32  -> sp_event.idx
--   sp_sample.time_ns int64 when the source has time (perf); absent otherwise
--   sp_sample.leaf_vaddr int64  where the innermost frame was in its binary (an ELF virtual address; -1 when
--                    the binary is not here), when the source has addresses (perf.data): perf annotate's view
--   sp_sample.cpu   int32   the CPU a sample was taken on, when the source says (perf record --sample-cpu, -a)
--   sp_label.sample int32   the sample a label is on (ascending), when the source has labels (pprof)
--   sp_label.key    int32   -> sp_label_key.idx
--   sp_label.text   int32   -> sp_label_text.idx, -1 for a numeric label
--   sp_label.num    int64   a numeric label's value (0 for a text one)

CREATE TABLE sp_value_type (
    idx  INTEGER PRIMARY KEY,  -- the <i> of sp_sample.value.<i>
    type TEXT NOT NULL,        -- 'samples', 'period', 'cpu', 'alloc_space', …
    unit TEXT NOT NULL         -- 'count', 'nanoseconds', 'bytes', 'events', …
);

CREATE TABLE sp_event (
    idx  INTEGER PRIMARY KEY,
    name TEXT NOT NULL         -- 'cpu-clock', a bpftrace map's name, pprof's sample type
);

CREATE TABLE sp_thread (
    idx  INTEGER PRIMARY KEY,
    pid  INTEGER,
    tid  INTEGER,
    name TEXT                  -- the command (perf's comm) or the thread's name
);

CREATE TABLE sp_frame (
    idx      INTEGER PRIMARY KEY,
    function TEXT NOT NULL,    -- as the source names it ('main', 'sort.partition', '[unknown]', '0x4005d0')
    module   TEXT,             -- the binary or library it is in, as the source names it, when it does
    file     TEXT,             -- source file, when the source gives one
    kind     TEXT NOT NULL     -- 'user' | 'kernel' | 'inlined' | 'jit' | 'process' (perf's comm as the root
                               -- frame, as stackcollapse puts it)
);

CREATE TABLE sp_label_key (
    idx INTEGER PRIMARY KEY,
    key TEXT NOT NULL          -- pprof's label key ('phase', 'bytes', …)
);

CREATE TABLE sp_label_text (
    idx  INTEGER PRIMARY KEY,
    text TEXT NOT NULL         -- a text label's value
);
