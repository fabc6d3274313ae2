/* A leaf function compiled without unwind tables (-fno-asynchronous-unwind-tables): with -g its CFI is only
 * in .debug_frame, and at -O1 it sets up no frame record — the first frame's caller is in the link register. */
void leaf_store(volatile int *where, int value) {
    *where = value;
}
