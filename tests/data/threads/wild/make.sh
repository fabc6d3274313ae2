#!/usr/bin/env bash
# Remakes the thread dumps of classes found in the wild (issue 21), each with the real runtime and tool:
#   same-names.*           SameNames.java on JDK 17: three deadlock cycles whose threads share two names;
#                          jstack (no -l: the ReentrantLock owners only in the JVM's report) and jstack -l
#                          (the JVM's own answer: "Found 3 deadlocks.")
#   same-names.jstack-l.spaces.txt   the same dump with its tabs turned to spaces (expand -t 4), as log
#                          shippers, editors and ticket systems turn them
#   same-names.jstack-l.utf16le.txt / .utf16-bom.txt   the same dump saved as UTF-16LE (iconv), without and
#                          with a byte-order mark, as Windows tools save jstack output
#   same-names.threadinfo.txt        ThreadInfo.toString() of every thread (ThreadMXBean.dumpAllThreads), as
#                          monitoring agents log it
#   go-ancestors.sigquit.txt   ancestors.go (Debian's Go) under GODEBUG=tracebackancestors=5, SIGQUIT
#   go-ancestors.cri-log.txt   the same program's dump with each line prefixed as the kubelet's CRI log format
#                          writes container output ("<RFC 3339 nano time> stderr F "; the prefix added by the loop
#                          below, with the real clock)
#   faulthandler-current-only*.txt   faulthandler_one.py: all_threads=False ("Stack (most recent call first):"),
#                          from dump_traceback and from a fatal SIGSEGV
set -euo pipefail
cd "$(dirname "$0")"
J=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin
tmp=$(mktemp -d)
"$J/javac" -d "$tmp" SameNames.java
"$J/java" -cp "$tmp" SameNames > "$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q ready "$tmp/out" 2>/dev/null && break; sleep 0.2; done
"$J/jstack" "$pid" > same-names.jstack.txt
"$J/jstack" -l "$pid" > same-names.jstack-l.txt
kill "$pid"
"$J/java" -cp "$tmp" SameNames mxbean > same-names.threadinfo.txt
expand -t 4 same-names.jstack-l.txt > same-names.jstack-l.spaces.txt
iconv -f UTF-8 -t UTF-16LE same-names.jstack-l.txt > same-names.jstack-l.utf16le.txt
{ printf '\xff\xfe'; cat same-names.jstack-l.utf16le.txt; } > same-names.jstack-l.utf16-bom.txt

go build -o "$tmp/ancestors" ancestors.go
GODEBUG=tracebackancestors=5 "$tmp/ancestors" > "$tmp/go.out" 2> go-ancestors.sigquit.txt &
pid=$!
for _ in $(seq 100); do grep -q ready "$tmp/go.out" 2>/dev/null && break; sleep 0.1; done
kill -QUIT "$pid"; wait "$pid" || true
GODEBUG=tracebackancestors=5 "$tmp/ancestors" 2>&1 > "$tmp/go.out" | while IFS= read -r line; do
  printf '%s stderr F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$line"; done > go-ancestors.cri-log.txt &
for _ in $(seq 100); do grep -q ready "$tmp/go.out" 2>/dev/null && break; sleep 0.1; done
pkill -QUIT -f "$tmp/ancestors"; wait || true

python3 faulthandler_one.py 2> faulthandler-current-only.stderr.txt
python3 faulthandler_one.py segv 2> faulthandler-current-only.segv.stderr.txt || true
rm -rf "$tmp"
