// The code the real minidumps of tests/data/minidump die in (built -O2 without frame pointers, so walking
// its stack needs CFI): a null write two calls deep with an inlined helper, abort(), an uncaught C++
// exception, two threads deadlocked on two mutexes, and worker threads parked in recursion.
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdexcept>

extern "C" {
static volatile int *target = nullptr;

static inline __attribute__((always_inline)) void store(int v) { *target = v; }

__attribute__((noinline)) void crashy_write(int v) { store(v * 3); }
__attribute__((noinline)) void crashy_segv(int depth) {
  if (depth > 0) crashy_segv(depth - 1); else crashy_write(depth + 7);
  asm volatile("" ::: "memory");  // not a tail call: each depth keeps its frame
}
__attribute__((noinline)) void crashy_abort(void) { abort(); }
__attribute__((noinline)) void crashy_throw(int v) { throw std::runtime_error(v ? "bad state" : "none"); }

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER, second = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

__attribute__((noinline)) static void *lock_pair(void *order) {
  pthread_mutex_t *a = order ? &second : &first, *b = order ? &first : &second;
  pthread_mutex_lock(a);
  pthread_barrier_wait(&both);
  pthread_mutex_lock(b);  // each thread holds the other's first lock: never returns
  return nullptr;
}

// Starts two threads that deadlock; returns once both hold their first lock.
void crashy_deadlock(void) {
  pthread_t t1, t2;
  pthread_barrier_init(&both, nullptr, 3);
  pthread_create(&t1, nullptr, lock_pair, nullptr);
  pthread_create(&t2, nullptr, lock_pair, (void *)1);
  pthread_barrier_wait(&both);
  usleep(200 * 1000);
}

__attribute__((noinline)) static int park(int depth) {
  if (depth == 0) { for (;;) pause(); }
  return park(depth - 1) + depth;
}
static void *worker(void *arg) { park((int)(long)arg); return nullptr; }

// Starts n worker threads parked `depth` calls deep.
void crashy_workers(int n, int depth) {
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, nullptr, worker, (void *)(long)(depth + i));
  }
  usleep(200 * 1000);
}
}
