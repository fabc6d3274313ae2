/* A SIGSEGV with values on the x87 stack (pi, 1, -2.5: TOP moved, tags valid/zero/special) and in xmm
   registers, to compare the Registers dock's floating-point view with gdb's `info registers float`. */
#include <stddef.h>

__attribute__((noinline)) void crash(volatile int *p, double d)
{
    __asm__ volatile("fldz\n\tfld1\n\tfldpi\n\tfldl %0" :: "m"(d));
    __asm__ volatile("movsd %0, %%xmm3" :: "m"(d) : "xmm3");
    *p = 1;
}

int main(void)
{
    crash(NULL, -2.5);
    return 0;
}
