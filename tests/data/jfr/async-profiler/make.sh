#!/usr/bin/env bash
# Remakes the async-profiler recordings: Spin.java on JDK 17 under async-profiler 4.5 (built from its sources,
# github.com/async-profiler/async-profiler at b583d82c, with `make`), once in wall-clock mode (its
# profiler.WallClockSample events fold consecutive samples of a stack into one event with a `samples` count)
# and once in CPU mode (jdk.ExecutionSample, one sample each); beside each, what async-profiler's own converter
# makes of it (jfrconv --wall|--cpu -o collapsed: one line per stack with its sample count).
# Usage: bash make.sh ASYNC_PROFILER_BUILD_DIR   (the folder holding lib/libasyncProfiler.so and bin/jfrconv)
set -euo pipefail
cd "$(dirname "$0")"
AP=$1
J=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin
tmp=$(mktemp -d)
"$J/javac" -d "$tmp" Spin.java
"$J/java" -cp "$tmp" -agentpath:"$AP/lib/libasyncProfiler.so=start,event=wall,interval=5ms,file=wall.jfr" Spin
"$J/java" -cp "$tmp" -agentpath:"$AP/lib/libasyncProfiler.so=start,event=cpu,interval=5ms,file=cpu.jfr" Spin
"$AP/bin/jfrconv" --wall -o collapsed wall.jfr wall.collapsed
"$AP/bin/jfrconv" --cpu -o collapsed cpu.jfr cpu.collapsed
rm -rf "$tmp"
