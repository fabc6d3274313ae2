// The arm crasher of make.sh: saves its own /proc/self files (as qemu-user shows them to the guest) for core2md, then runs a scenario of
// crashy.cc and dies; qemu-arm writes the core.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <initializer_list>
extern "C" {
void crashy_segv(int depth);
void crashy_abort(void);
void crashy_workers(int n, int depth);
}
static void save(const char *name, const char *dir) {
  char src[64], dst[512], buf[65536];
  snprintf(src, sizeof src, "/proc/self/%s", name);
  snprintf(dst, sizeof dst, "%s/%s", dir, name);
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  if (!in || !out) return;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
  fclose(in); fclose(out);
}
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  mkdir(argv[2], 0755);
  if (!strcmp(argv[1], "threads")) crashy_workers(2, 3);
  for (const char *f : {"maps", "auxv", "cmdline", "environ", "status"}) save(f, argv[2]);
  if (!strcmp(argv[1], "abort")) crashy_abort();
  crashy_segv(3);
  return 1;
}
