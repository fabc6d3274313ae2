/* A JNI library whose nativeCrash writes through a null pointer a few C frames down (tests/data/hserr/make.sh). */
#include <jni.h>

__attribute__((noinline)) static void fault(volatile int *p, int depth) {
    if (depth > 0) {
        fault(p, depth - 1);
        __asm__ volatile("" ::: "memory");
        return;
    }
    *p = 42;
}

JNIEXPORT void JNICALL Java_Crash_nativeCrash(JNIEnv *env, jclass cls, jint depth) {
    (void)env;
    (void)cls;
    fault((volatile int *)0, depth);
}
