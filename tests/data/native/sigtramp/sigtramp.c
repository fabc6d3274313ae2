#include <signal.h>
#include <stddef.h>

int *volatile target = NULL;

__attribute__((noinline)) static void store_in_handler(int v) { *target = v; }

__attribute__((noinline)) static void on_usr1(int sig) { store_in_handler(sig + 1); }

__attribute__((noinline)) static void deliver(void) { raise(SIGUSR1); }

int main(void) {
    signal(SIGUSR1, on_usr1);
    deliver();
    return 0;
}
