// A program linked with Breakpad's Linux client (ExceptionHandler) that dies the way argv[1] says and leaves
// a real minidump in argv[2]: segv, abort, throw, deadlock (written on demand while two threads deadlock),
// threads (several parked workers, then a segv).
#include <stdio.h>
#include <string.h>
#include "client/linux/handler/exception_handler.h"

extern "C" {
void crashy_segv(int depth);
void crashy_abort(void);
void crashy_throw(int v);
void crashy_deadlock(void);
void crashy_workers(int n, int depth);
}

static bool written(const google_breakpad::MinidumpDescriptor &d, void *, bool ok) {
  printf("%s\n", d.path());
  fflush(stdout);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: crasher segv|abort|throw|deadlock|threads DIR\n"); return 2; }
  google_breakpad::MinidumpDescriptor where(argv[2]);
  google_breakpad::ExceptionHandler handler(where, nullptr, written, nullptr, true, -1);
  const char *how = argv[1];
  if (!strcmp(how, "segv")) crashy_segv(3);
  if (!strcmp(how, "abort")) crashy_abort();
  if (!strcmp(how, "throw")) crashy_throw(1);
  if (!strcmp(how, "deadlock")) { crashy_deadlock(); return handler.WriteMinidump() ? 0 : 1; }
  if (!strcmp(how, "threads")) { crashy_workers(3, 4); crashy_segv(1); }
  return 1;
}
