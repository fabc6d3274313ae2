-- Native crashes (the crash model, base/crash.py), whatever format wrote them: ELF cores, Apple reports. Stacks are
-- unwound and symbolicated at index time with the default symbol search (recorded paths, system debug
-- directories, DEBUGINFOD_URLS); other symbol paths recompute them without touching the index.
-- Addresses are stored as signed 64-bit integers (SQLite's INTEGER) and read back & 0xFFFFFFFFFFFFFFFF.

-- One row: the process and what stopped it.
CREATE TABLE crash_report (
    pid              INTEGER,
    command          TEXT,     -- the command line as recorded
    executable       TEXT,
    os               TEXT,
    arch             TEXT,     -- ELF machine name (EM_X86_64) or the report's word
    time             TEXT,     -- ISO 8601, as the report says
    version          TEXT,     -- the application's version
    signal           INTEGER,  -- signal number
    signal_name      TEXT,     -- 'SIGSEGV'
    code             INTEGER,  -- si_code or the exception's code
    code_name        TEXT,
    exception        TEXT,     -- 'EXC_BAD_ACCESS', 'EXCEPTION_ACCESS_VIOLATION_READ'
    fault_address    INTEGER,  -- as the dump records it; NULL when it records none
    fault_access     TEXT,     -- 'read' | 'write' | 'execute', from the faulting instruction
    computed_address INTEGER,  -- worked out from the faulting instruction when the dump records none
    stack_overflow   INTEGER NOT NULL,  -- 1 when the fault hit the stack's guard page
    message          TEXT,     -- abort / assertion message
    headline         TEXT,     -- the report's own one-line summary
    snapshot         INTEGER NOT NULL,  -- 1 for a snapshot of a live process (gcore): nothing crashed
    os_version       TEXT,     -- '10.0.19041 Service Pack 1', '0.0.0 Linux 6.1.0 #1 SMP …'
    cpu_info         TEXT,     -- 'GenuineIntel family 6 model 13 stepping 8'
    cpu_count        INTEGER
);

CREATE TABLE crash_thread (
    idx             INTEGER PRIMARY KEY,  -- position in the dump
    tid             INTEGER NOT NULL,
    name            TEXT,
    crashed         INTEGER NOT NULL,     -- 1 for the thread that crashed
    current         INTEGER NOT NULL,     -- 1 for the thread a snapshot stopped
    signal          INTEGER,              -- signal pending on this thread
    queue           TEXT,                 -- dispatch queue (Apple)
    registers       TEXT NOT NULL,        -- JSON {name: value}, in the architecture's order
    extra_registers TEXT NOT NULL,        -- JSON [[name, text]]: floating-point and vector registers
    state           TEXT                  -- as the report words it (a JVM's 'JavaThread daemon _thread_blocked')
);

CREATE TABLE crash_frame (
    thread_idx    INTEGER NOT NULL,
    depth         INTEGER NOT NULL,  -- 0 = innermost
    pc            INTEGER NOT NULL,  -- address (a return address for callers)
    module        TEXT,
    module_offset INTEGER,           -- pc - the module's load bias, bytes
    function      TEXT,
    file          TEXT,
    line          INTEGER,
    inlined       INTEGER NOT NULL,  -- 1 for an inlined function's frame
    trust         TEXT NOT NULL,     -- 'context' | 'cfi' | 'fp' | 'scan' | 'symbolicated-by-report'
    symbol_offset INTEGER,           -- pc - the function's start, when the report gives it ('start + 462')
    kind          TEXT,              -- what ran there when the report says: java-compiled, java-interpreted, vm…
    PRIMARY KEY (thread_idx, depth)
);

CREATE TABLE crash_module (
    idx        INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,      -- as the loader or report names it
    path       TEXT,               -- the mapped file as recorded
    base       INTEGER NOT NULL,   -- lowest address
    end_       INTEGER NOT NULL,   -- first address past it
    bias       INTEGER NOT NULL,   -- load bias (address of the file's vaddr 0)
    build_id   TEXT,               -- ELF build-id, Mach-O UUID or PE code id, hex
    debug_id   TEXT,               -- Breakpad/PDB debug id
    arch       TEXT,
    binary     TEXT,               -- the binary found on this machine
    debug_file TEXT,               -- where its debug information came from
    symbols    TEXT NOT NULL,      -- 'found' | 'missing'
    looked     TEXT NOT NULL,      -- JSON list of where pmdesk looked
    warning    TEXT
);

CREATE TABLE crash_region (
    start         INTEGER NOT NULL,
    end_          INTEGER NOT NULL,
    perms         TEXT NOT NULL,     -- 'r-x' ('' when unknown)
    present_bytes INTEGER NOT NULL,  -- bytes of the region the dump holds
    name          TEXT
);

CREATE TABLE crash_section (
    idx   INTEGER PRIMARY KEY,
    title TEXT NOT NULL,  -- 'logcat', 'Application Specific Information', …
    text  TEXT NOT NULL,
    in_summary INTEGER NOT NULL DEFAULT 1  -- 0: shown in Report sections only
);

-- Thread tid waits for a lock thread owner holds (a mutex's futex and the owner it records).
CREATE TABLE crash_wait (
    tid       INTEGER NOT NULL,
    lock      INTEGER NOT NULL,  -- the lock's address
    lock_name TEXT,              -- the data symbol there, if any
    owner     INTEGER NOT NULL
);

-- Derived (index/derive/crash_deadlocks.py): the cycles of crash_wait.
CREATE TABLE crash_deadlock (
    cycle    INTEGER NOT NULL,  -- 0-based
    position INTEGER NOT NULL,  -- order along the cycle
    tid      INTEGER NOT NULL,
    lock     INTEGER NOT NULL,
    lock_name TEXT,
    owner    INTEGER NOT NULL,
    PRIMARY KEY (cycle, position)
);
