-- ELF core dumps. Stacks are unwound and symbolicated at index time with the default symbol search
-- (recorded paths, system debug directories, DEBUGINFOD_URLS); `pmdesk stack` with --exe/--debug-dir
-- recomputes them without touching the index.
CREATE TABLE core_thread (idx INTEGER PRIMARY KEY, tid INTEGER NOT NULL, signal INTEGER,
                          registers TEXT NOT NULL);  -- JSON {name: value}
CREATE TABLE core_frame (thread_idx INTEGER NOT NULL, depth INTEGER NOT NULL, pc INTEGER NOT NULL, module TEXT,
                         function TEXT, file TEXT, line INTEGER, inlined INTEGER NOT NULL, how TEXT NOT NULL,
                         module_offset INTEGER, PRIMARY KEY (thread_idx, depth));
CREATE TABLE core_module (name TEXT NOT NULL, path TEXT NOT NULL, start INTEGER NOT NULL, end_ INTEGER NOT NULL,
                          bias INTEGER NOT NULL, build_id TEXT, binary TEXT, debug_file TEXT,
                          symbols TEXT NOT NULL,  -- 'found' | 'missing'
                          looked TEXT NOT NULL,   -- JSON list of where pmdesk looked
                          warning TEXT);
CREATE TABLE core_segment (start INTEGER NOT NULL, end_ INTEGER NOT NULL, present INTEGER NOT NULL,
                           flags INTEGER NOT NULL);
