#!/bin/bash
# Makes the real profiles tests/test_profiles.py reads, with each real tool's answer beside them. Run as root
# on Linux with perf, bpftrace, libbpf-tools (offcputime), gcc and Go; FLAMEGRAPH names a checkout of
# github.com/brendangregg/FlameGraph (its stackcollapse scripts are the folded-stack oracles).
#   bash tests/data/profiles/make.sh
set -euo pipefail
cd "$(dirname "$0")"
FLAMEGRAPH=${FLAMEGRAPH:-/work/tools/FlameGraph}
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

gcc -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline -o "$BUILD/workload" workload.c
cp "$BUILD/workload" workload  # beside the recordings: pmdesk finds it there by name and build-id

# perf, frame-pointer call chains, the cpu-clock event (cycles counts nothing in a VM)
perf record -q -e cpu-clock -F 499 -g --sample-cpu -o "$BUILD/perf-fp.data" "$BUILD/workload" 1.5 >/dev/null
perf script -i "$BUILD/perf-fp.data" > perf-fp.script.txt
perf script -i "$BUILD/perf-fp.data" -F comm,pid,tid,time,period,event,ip,sym,dso > perf-fp.pidtid.script.txt
perf report -i "$BUILD/perf-fp.data" --stdio --no-children -g folded,0,caller,count --sort sym \
  > perf-fp.report-folded.txt 2>/dev/null
perl "$FLAMEGRAPH/stackcollapse-perf.pl" perf-fp.script.txt > perf-fp.pl.folded
# each instruction's share of a function's samples (its local period)
perf annotate -i "$BUILD/perf-fp.data" --stdio -s mix > perf-fp.annotate-mix.txt 2>/dev/null
cp "$BUILD/perf-fp.data" perf-fp.data
# the same program recorded with -z (zstd records) and piped (perf record -o -), each with perf script's answer
perf record -q -e cpu-clock -F 499 -g -z -o "$BUILD/perf-fpz.data" "$BUILD/workload" 0.5 >/dev/null
cp "$BUILD/perf-fpz.data" perf-fpz.data
perf script -i perf-fpz.data > perf-fpz.script.txt
perf record -q -e cpu-clock -F 499 -g -o - "$BUILD/workload" 0.5 2>/dev/null > perf-pipe.data
perf script -i perf-pipe.data > perf-pipe.script.txt
# DWARF mode: the workload built without frame pointers, its user stacks copied and unwound by CFI
gcc -O1 -g -fomit-frame-pointer -fno-inline -o "$BUILD/workload-nofp" workload.c
cp "$BUILD/workload-nofp" workload-nofp
perf record -q -e cpu-clock -F 299 --call-graph dwarf,4096 -o "$BUILD/perf-dwarf.data" "$BUILD/workload-nofp" 0.8 \
  >/dev/null
cp "$BUILD/perf-dwarf.data" perf-dwarf.data
perf script --no-inline -i perf-dwarf.data > perf-dwarf.script.txt  # physical frames, as perf.data holds them
perf annotate -i perf-dwarf.data --stdio -s spin > perf-dwarf.annotate-spin.txt 2>/dev/null
# CPython in DWARF mode: stacks deeper than the 8 KB copy, C extensions, PLT entries, ld.so at start-up
perf record -q -e cpu-clock -F 299 --call-graph dwarf,8192 -o "$BUILD/perf-dwarf-python.data" -- /usr/bin/python3 \
  python_workload.py >/dev/null
cp "$BUILD/perf-dwarf-python.data" perf-dwarf-python.data
perf script --no-inline -i perf-dwarf-python.data > perf-dwarf-python.script.txt
# on- and off-CPU: cpu-clock with sched:sched_switch and the switch records (--switch-events), and perf's own
# reading of every switch-out sample and switch record (their times in ns)
perf record -q -e cpu-clock -e sched:sched_switch --switch-events -F 499 -g -o "$BUILD/perf-offcpu.data" \
  "$BUILD/workload" 0.5 >/dev/null
cp "$BUILD/perf-offcpu.data" perf-offcpu.data
perf script -i perf-offcpu.data --ns --show-switch-events -F tid,time,event > perf-offcpu.switches.txt
# a second, shorter run: two profiles of one program to compare, and difffolded.pl's comparisons of them
perf record -q -e cpu-clock -F 499 -g -o "$BUILD/perf-fp2.data" "$BUILD/workload" 0.6 >/dev/null
perf script -i "$BUILD/perf-fp2.data" | perl "$FLAMEGRAPH/stackcollapse-perf.pl" > perf-fp2.pl.folded
perl "$FLAMEGRAPH/difffolded.pl" perf-fp2.pl.folded perf-fp.pl.folded | sort > perf-fp2-vs-fp.diff.folded
perl "$FLAMEGRAPH/difffolded.pl" -n perf-fp2.pl.folded perf-fp.pl.folded | sort > perf-fp2-vs-fp.diff-n.folded

# bpftrace: user stacks on CPU, its default stack form and perf's, text and JSON; then stackcollapse-bpftrace
"$BUILD/workload" 5 >/dev/null & PID=$!
sleep 0.3
bpftrace -q -e "profile:hz:499 /pid == $PID/ { @[ustack] = count(); } interval:s:1 { exit(); }" \
  > bpftrace-ustack.txt 2>/dev/null
bpftrace -q -e "profile:hz:499 /pid == $PID/ { @cpu[ustack(perf), comm] = count(); } interval:s:1 { exit(); }" \
  > bpftrace-ustack-perf.txt 2>/dev/null
bpftrace -f json -e "profile:hz:499 /pid == $PID/ { @[ustack] = count(); } interval:s:1 { exit(); }" \
  > bpftrace-ustack.json 2>/dev/null
wait $PID
perl "$FLAMEGRAPH/stackcollapse-bpftrace.pl" bpftrace-ustack.txt > bpftrace-ustack.pl.folded

# libbpf-tools offcputime: where the workload slept (its multi-line form)
"$BUILD/workload" 4 >/dev/null & PID=$!
sleep 0.3
offcputime -p $PID 1 > offcputime.txt 2>/dev/null
wait $PID

# Go: the program writes its CPU and heap profiles; go tool pprof's answers beside them
(cd go && go build -o "$BUILD/goprof" main.go)
"$BUILD/goprof" go
for p in cpu heap; do
  go tool pprof -raw "$BUILD/goprof" go/$p.pb.gz > go/$p.pprof-raw.txt 2>/dev/null
  go tool pprof -traces "$BUILD/goprof" go/$p.pb.gz > go/$p.pprof-traces.txt 2>/dev/null
done
# drop_frames/keep_frames, which no Go profiler writes, added to the real CPU profile; pprof's pruned reading
python3 go/add_drop_frames.py go/cpu.pb.gz go/cpu-drop.pb.gz 'crypto/sha256\..*|sort\.Ints' 'crypto/sha256\.Sum256'
go tool pprof -raw go/cpu-drop.pb.gz > go/cpu-drop.pprof-raw.txt 2>/dev/null
go tool pprof -top -nodecount=1000 -tagfocus=phase=hash go/cpu.pb.gz > go/cpu.tagfocus.pprof-top.txt 2>/dev/null
go tool pprof -top -nodecount=1000 "$BUILD/goprof" go/cpu.pb.gz > go/cpu.pprof-top.txt 2>/dev/null
for t in alloc_space alloc_objects inuse_space; do
  go tool pprof -top -nodecount=1000 -sample_index=$t "$BUILD/goprof" go/heap.pb.gz > go/heap.$t.pprof-top.txt 2>/dev/null
done
