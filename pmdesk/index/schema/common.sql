-- Tables every index has, whatever the dump's format.

-- What the index is and was built from: format, reader, cache key parts, summary figures (JSON values).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,  -- dotted name, e.g. 'summary.objects', 'hprof.id_size'
    value TEXT               -- JSON-encoded value
);

-- Recoverable problems found while reading (the dump is still indexed).
CREATE TABLE diagnostic (
    id       INTEGER PRIMARY KEY,
    offset   INTEGER,        -- byte offset in the (decompressed) dump, NULL when not tied to a place
    code     TEXT NOT NULL,  -- stable machine name, e.g. 'hprof.truncated'
    severity TEXT NOT NULL,  -- 'info' | 'warning' | 'error'
    message  TEXT NOT NULL   -- one line for people
);

-- Bulk per-object columns as numpy arrays, stored in chunks in file order (see index/arrays.py).
CREATE TABLE array_chunk (
    name  TEXT NOT NULL,     -- '<table>.<column>', e.g. 'hprof_object.id'
    seq   INTEGER NOT NULL,  -- chunk number, 0-based
    dtype TEXT NOT NULL,     -- numpy dtype string, e.g. '<u8'
    count INTEGER NOT NULL,  -- elements in this chunk
    data  BLOB NOT NULL,     -- raw little-endian bytes
    PRIMARY KEY (name, seq)
);
