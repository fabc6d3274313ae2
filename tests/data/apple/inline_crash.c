/* A program whose crash site is inlined twice deep, for Mach-O + dSYM symbolication tests (make.sh). */
static inline __attribute__((always_inline)) void store(int *p, int v) { *p = v; }
static inline __attribute__((always_inline)) void fill(int *p) { store(p, 42); }
__attribute__((noinline)) void crash_here(int *p) { fill(p); }
__attribute__((noinline)) int helper(int n) { return n * 3 + 1; }
int main(int argc, char **argv) {
  (void)argv;
  crash_here((int *)0);
  return helper(argc);
}
