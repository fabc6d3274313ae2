/* Calls leaf_store (leaf_store.c, no .eh_frame for it) with a NULL pointer through two frames of its own. */
void leaf_store(volatile int *where, int value);

__attribute__((noinline)) void through(volatile int *p, int v) {
    leaf_store(p, v);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void outer(volatile int *p) {
    through(p, 42);
    __asm__ volatile("" ::: "memory");
}

int main(void) {
    outer((volatile int *)0);
    return 0;
}
