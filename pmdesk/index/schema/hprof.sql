-- include: heap
-- Java heap dumps (HPROF). Identifiers are the dump's (object addresses), stored as signed 64-bit
-- (two's complement of the unsigned value). Per-object columns live in array_chunk:
--   hprof_object.id (u8 address), .offset (u8 byte offset of the sub-record in the decompressed dump),
--   .class_idx (i4 -> hprof_class.class_idx), .array_length (i4, -1 for instances).

-- Every class (and primitive array type) seen, with the JVM's real shallow sizes.
CREATE TABLE hprof_class (
    class_idx            INTEGER PRIMARY KEY, -- dense index used by the per-object arrays
    class_id             INTEGER,             -- the class object's id (its mirror's address); NULL if not dumped
    name                 TEXT NOT NULL,       -- Java source form: 'java.lang.String', 'byte[]', 'a.B$C[]'
    kind                 TEXT NOT NULL,       -- 'instance' | 'object_array' | 'primitive_array'
    element_type         INTEGER,             -- hprof basic type of array elements (2 = object)
    instance_bytes       INTEGER NOT NULL,    -- real size of one instance in the JVM (0 for arrays)
    dump_instance_bytes  INTEGER,             -- instance size as the CLASS_DUMP states it (ids as id size)
    mirror_bytes         INTEGER,             -- real size of this class's java.lang.Class object
    super_id             INTEGER,
    loader_id            INTEGER,
    signers_id           INTEGER,
    protection_domain_id INTEGER,
    trace_serial         INTEGER,
    serial               INTEGER,             -- LOAD_CLASS serial
    instance_count       INTEGER NOT NULL,    -- objects of exactly this class in the dump
    shallow_bytes        INTEGER NOT NULL     -- their total real shallow size
);

-- Instance and static fields of each class in dump order (instance data is decoded in this order).
CREATE TABLE hprof_field (
    class_idx INTEGER NOT NULL,
    seq       INTEGER NOT NULL,  -- position among the class's own instance (or static) fields
    name      TEXT NOT NULL,
    type      INTEGER NOT NULL,  -- hprof basic type
    is_static INTEGER NOT NULL,
    value                        -- static value (object id for type 2), NULL for instance fields
);
CREATE INDEX hprof_field_class ON hprof_field (class_idx, is_static, seq);

CREATE TABLE hprof_constant (class_idx INTEGER NOT NULL, cp_index INTEGER NOT NULL, type INTEGER NOT NULL,
                             value);

CREATE TABLE hprof_string (string_id INTEGER PRIMARY KEY, text TEXT NOT NULL);

CREATE TABLE hprof_load_class (serial INTEGER, class_id INTEGER, trace_serial INTEGER, name_id INTEGER);
CREATE TABLE hprof_unload_class (serial INTEGER);

-- GC roots: kind is the sub-record tag (records.py ROOT_*); thread_serial/frame_number where the kind
-- has them (for ROOT_THREAD_OBJECT frame_number holds the stack trace serial).
CREATE TABLE hprof_root (kind INTEGER NOT NULL, object_id INTEGER NOT NULL, thread_serial INTEGER,
                         frame_number INTEGER);

CREATE TABLE hprof_frame (frame_id INTEGER PRIMARY KEY, method_name_id INTEGER, signature_id INTEGER,
                          source_file_id INTEGER, class_serial INTEGER,
                          line INTEGER); -- >0 line; 0 none; -1 unknown; -2 compiled; -3 native
CREATE TABLE hprof_trace (serial INTEGER PRIMARY KEY, thread_serial INTEGER, frames INTEGER);
CREATE TABLE hprof_trace_frame (trace_serial INTEGER NOT NULL, depth INTEGER NOT NULL, frame_id INTEGER,
                                PRIMARY KEY (trace_serial, depth));
CREATE TABLE hprof_thread (serial INTEGER PRIMARY KEY, object_id INTEGER, trace_serial INTEGER,
                           name_id INTEGER, group_name_id INTEGER, parent_group_name_id INTEGER);
CREATE TABLE hprof_end_thread (serial INTEGER);
CREATE TABLE hprof_alloc_site (is_array INTEGER, class_serial INTEGER, trace_serial INTEGER,
                               live_bytes INTEGER, live_instances INTEGER, allocated_bytes INTEGER,
                               allocated_instances INTEGER);
CREATE TABLE hprof_cpu_sample (count INTEGER, trace_serial INTEGER);
