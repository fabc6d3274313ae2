-- Thread and goroutine dumps (Java jstack / jcmd Thread.print / SIGQUIT output, Go tracebacks, Python
-- faulthandler). A file may hold several dumps of one process (a series); all tables are per dump.

CREATE TABLE td_dump (
    dump_idx  INTEGER PRIMARY KEY,  -- order in the file
    runtime   TEXT NOT NULL,        -- 'java' | 'go' | 'python'
    line      INTEGER NOT NULL,     -- 1-based line where the dump starts
    title     TEXT NOT NULL,        -- e.g. 'Full thread dump OpenJDK 64-Bit Server VM (…)', 'SIGQUIT: quit'
    timestamp TEXT,                 -- as the dump prints it, when it does
    threads   INTEGER NOT NULL
);

CREATE TABLE td_thread (
    dump_idx    INTEGER NOT NULL,
    thread_idx  INTEGER NOT NULL,   -- order in the dump
    name        TEXT NOT NULL,      -- Java thread name; 'goroutine N'; 'Thread 0x…' (faulthandler has no names)
    ident       TEXT NOT NULL,      -- Java '#N' (or tid for VM threads), goroutine id, Python thread id
    line        INTEGER NOT NULL,   -- 1-based line of the thread's header
    state       TEXT NOT NULL,      -- Java Thread.State, Go wait reason, Python 'current' or ''
    detail      TEXT,               -- the rest: '(parking)', Go wait duration, …
    native_id   TEXT,
    daemon      INTEGER,
    priority    INTEGER,
    cpu_ms      REAL,
    elapsed_s   REAL,
    java_thread INTEGER,            -- 0 for JVM-internal threads without a java.lang.Thread
    created_by  TEXT,               -- Go: the function that started the goroutine
    stack_id    INTEGER NOT NULL,   -- -> td_stack_frame: threads with identical stacks share one
    PRIMARY KEY (dump_idx, thread_idx)
);

-- Each distinct stack once (a series repeats the same stacks dump after dump).
CREATE TABLE td_stack_frame (
    stack_id INTEGER NOT NULL,
    depth    INTEGER NOT NULL,      -- 0 = the innermost (top) frame
    function TEXT NOT NULL, file TEXT, line INTEGER, module TEXT,
    PRIMARY KEY (stack_id, depth)
);

-- Go: the goroutines that started each goroutine (GODEBUG=tracebackancestors), nearest first, each with its
-- stack where it did ('[originating from goroutine N]:' blocks).
CREATE TABLE td_ancestor (
    dump_idx INTEGER NOT NULL, thread_idx INTEGER NOT NULL,
    position INTEGER NOT NULL,      -- 0: the goroutine that started this one
    ident    TEXT NOT NULL,         -- its goroutine id
    created_by TEXT,                -- the function that started it
    stack_id INTEGER NOT NULL,      -- -> td_stack_frame: its stack when it started the next
    PRIMARY KEY (dump_idx, thread_idx, position)
);

-- Locks as the dump names them: held ('locked', 'owns'), wanted ('waiting_to_lock', 'parking'), or
-- released while waiting for a notification ('waiting_on').
CREATE TABLE td_lock (
    dump_idx INTEGER NOT NULL, thread_idx INTEGER NOT NULL,
    lock_id  TEXT NOT NULL,         -- the object's address as printed (0x…)
    class    TEXT,
    relation TEXT NOT NULL,
    depth    INTEGER NOT NULL       -- frame it follows; -1: list of ownable synchronizers; -2: deadlock report
);
CREATE INDEX td_lock_by_thread ON td_lock (dump_idx, thread_idx);

-- Derived (index/derive/lock_graph.py): who waits for which lock and who owns it, deadlock cycles.
CREATE TABLE td_wait (
    dump_idx INTEGER NOT NULL, thread_idx INTEGER NOT NULL,
    lock_id  TEXT NOT NULL,
    owner_idx INTEGER,              -- thread holding the lock, when the dump says
    status   TEXT NOT NULL          -- 'deadlocked' (on a cycle) | 'blocked' (waits, maybe behind a cycle)
);
CREATE TABLE td_deadlock (
    dump_idx INTEGER NOT NULL, cycle INTEGER NOT NULL, position INTEGER NOT NULL,
    thread_idx INTEGER NOT NULL, lock_id TEXT NOT NULL  -- the lock this thread waits for on the cycle
);
