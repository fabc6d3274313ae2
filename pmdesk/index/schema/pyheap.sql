-- include: heap
-- Python heap snapshots (pmdesk.capture). Ids are id()s, stored as signed 64-bit. Graph nodes: the objects in
-- file order, then one per thread. Per-node columns in array_chunk: heap_node.id (u8), heap_node.class_idx
-- (i4 -> heap_class: the object's type, 'module.QualName'), heap_node.shallow (i8: sys.getsizeof; 0 for a
-- thread). Per object: pyheap_object.refs_word (i8: the word of the snapshot — after its 16-byte header —
-- where its reference ids start), pyheap_object.refs (i8: how many). Labels of references, by object in order:
-- pyheap_label.node, .position (among the object's references), .string (-> pyheap_string). Values of strings
-- and numbers: pyheap_value.node, .string (a preview), .hash (hash() of the whole value), .length.

CREATE TABLE pyheap_string (sid INTEGER PRIMARY KEY, text TEXT NOT NULL);

CREATE TABLE pyheap_thread (node INTEGER PRIMARY KEY, ident INTEGER NOT NULL, name TEXT NOT NULL);

-- Each thread's frames, innermost (depth 0) first; node is the frame object's (NULL when not in the snapshot).
CREATE TABLE pyheap_frame (node INTEGER, thread INTEGER NOT NULL, depth INTEGER NOT NULL, function TEXT NOT NULL,
                           file TEXT NOT NULL, line INTEGER NOT NULL);
CREATE TABLE pyheap_local (frame INTEGER, thread INTEGER NOT NULL, depth INTEGER NOT NULL, name TEXT NOT NULL,
                           target INTEGER);

-- Roots the capture named (kind 1: sys.modules).
CREATE TABLE pyheap_root (kind INTEGER NOT NULL, node INTEGER NOT NULL, name TEXT NOT NULL);
