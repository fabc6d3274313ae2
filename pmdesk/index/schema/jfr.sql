-- Java Flight Recorder recordings. Per-record columns live in array_chunk: jfr_event.offset (u8 byte
-- position of the record), .type (i4 -> jfr_type_name.type_idx), .size (i4 bytes), .start_ns (i8, 0 for
-- metadata and checkpoint records).

CREATE TABLE jfr_chunk (
    chunk INTEGER PRIMARY KEY, offset INTEGER NOT NULL, size INTEGER NOT NULL, major INTEGER, minor INTEGER,
    start_ns INTEGER, duration_ns INTEGER, start_ticks INTEGER, ticks_per_second INTEGER,
    complete INTEGER NOT NULL,   -- 0: still being written or cut short (read up to its last complete record)
    records INTEGER NOT NULL
);

-- What `jfr summary` prints: every event type the metadata declares (count 0 included), plus the
-- metadata and checkpoint records, with their record count and bytes.
-- label and category ("Java Virtual Machine/GC/Collector") come from the type's @Label and @Category.
CREATE TABLE jfr_event_type (name TEXT PRIMARY KEY, count INTEGER NOT NULL, bytes INTEGER NOT NULL, label TEXT,
                             category TEXT);
CREATE TABLE jfr_type_name (type_idx INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- Decoded values, one table per event type (role 'event') and per constant-pool type (role 'pool'): the
-- layout (JSON: fields with kind, slot, unit; arrays with their element layout and width) says how to read
-- the int64 rows stored in array_chunk "jfr.rows:<role>:<name>" (width values a row) and the array elements
-- in "jfr.arena:<role>:<name>". Strings are ids in jfr_string (0 = null), references are row numbers in the
-- referenced pool's table (-1 = null), times are ns (timestamps since the epoch), floats are their bits.
-- Per record: jfr_event.row (its row in its type's table), .duration_ns, .thread (java.lang.Thread pool
-- row), .stack (jdk.types.StackTrace pool row).
CREATE TABLE jfr_table (name TEXT NOT NULL, role TEXT NOT NULL, width INTEGER NOT NULL, rows INTEGER NOT NULL,
                        layout TEXT NOT NULL, PRIMARY KEY (role, name));
CREATE TABLE jfr_string (id INTEGER PRIMARY KEY, text TEXT);
