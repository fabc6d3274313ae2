/* A small workload for real profiles (make.sh): two hot functions under a common caller, a deeper chain,
 * recursion, and a sleeping phase for off-CPU captures. Built with frame pointers and no inlining so every
 * profiler here walks the same stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

/* a leaf: gcc sets up no frame here, so a frame-pointer walk from inside it skips its caller (spin) */
__attribute__((noinline)) static unsigned long mix(unsigned long h, unsigned long i) {
    return (h ^ i) * 1099511628211UL;
}

__attribute__((noinline)) static unsigned long spin(unsigned long n) {
    unsigned long h = 1469598103934665603UL;
    for (unsigned long i = 0; i < n; i++) h = mix(h, i);
    return h;
}

__attribute__((noinline)) static void hot_a(void) { sink += spin(3000000); }
__attribute__((noinline)) static void hot_b(void) { sink += spin(1000000); }
__attribute__((noinline)) static unsigned long recurse(int depth) {
    return depth ? recurse(depth - 1) + 1 : spin(500000);
}
__attribute__((noinline)) static void deep_c(void) { sink += recurse(3); }
__attribute__((noinline)) static void nap(void) { usleep(20000); }

__attribute__((noinline)) static void run(double seconds) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        hot_a();
        hot_b();
        deep_c();
        nap();
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

int main(int argc, char **argv) {
    run(argc > 1 ? atof(argv[1]) : 1.0);
    printf("%lu\n", sink);
    return 0;
}
