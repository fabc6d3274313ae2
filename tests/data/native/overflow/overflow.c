/* Unbounded recursion: the stack overflows into its guard page (SIGSEGV). */
#include <stdio.h>

__attribute__((noinline)) int descend(volatile char *prev, int depth)
{
    volatile char pad[200];
    pad[0] = (char)depth;
    pad[199] = prev ? prev[0] : 0;
    return descend(pad, depth + 1) + pad[199];
}

int main(void)
{
    printf("%d\n", descend(NULL, 0));
    return 0;
}
