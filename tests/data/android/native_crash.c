/* A native library whose crash site is inlined, for tombstone symbolication tests (make.sh). */
static inline __attribute__((always_inline)) void poke(volatile int *p, int v) { *p = v; }
static inline __attribute__((always_inline)) void fill(volatile int *p) { poke(p, 7); }
__attribute__((noinline)) void crash_now(volatile int *p) { fill(p); }
__attribute__((noinline)) int helper(int n) { return n * 5 + 2; }
int Java_com_example_Native_crash(void *env, void *clazz) {
  (void)env; (void)clazz;
  crash_now((volatile int *)0);
  return helper(3);
}
