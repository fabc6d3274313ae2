#!/usr/bin/env bash
# Makes the hs_err_pid<N>.log artefacts: the JVM crashed on purpose (Crash.java) with JDK 17 and JDK 25 —
# an Unsafe write to 0 from an interpreted method (-Xint) and from a C2-compiled one, a JNI library that
# writes through a null pointer (crashnative.c), and -XX:+CrashOnOutOfMemoryError; with JDK 17 also the log
# written to standard output among the program's own lines (-XX:+ErrorFileToStdout) and the
# -XX:+ShowMessageBoxOnError prompt (answered by RETURN: no debugger). Each log keeps the name the JVM gave
# it where the JVM named it (hs_err_pid<N>.log), prefixed by the JDK and the way it crashed; bin/ keeps
# the class and the library they ran (the tests give it as a search folder).
# Needs gcc, OpenJDK 17 and Temurin 25 at their Debian/Adoptium paths. Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
declare -A jdks=([17]=/usr/lib/jvm/java-17-openjdk-amd64 [25]=/usr/lib/jvm/temurin-25-jdk-amd64)
gcc -O1 -g -fPIC -shared -fno-omit-frame-pointer -I"${jdks[17]}/include" -I"${jdks[17]}/include/linux" \
  -o "$work/libcrashnative.so" "$here/crashnative.c"
"${jdks[17]}/bin/javac" --release 17 -g -d "$work" "$here/Crash.java"
# the class and the library as the tests' search folder holds them (the logs name the temporary folder)
mkdir -p "$here/bin"
cp "$work/Crash.class" "$work/libcrashnative.so" "$here/bin/"
cd "$work"
rm -f "$here"/jdk*.log "$here"/jdk*.txt
for v in 17 25; do
  java="${jdks[$v]}/bin/java"
  for mode in interpreted compiled native oom; do
    flags=(-Xmx64m -Djava.library.path="$work")
    [[ $mode == interpreted ]] && flags+=(-Xint)
    [[ $mode == oom ]] && flags+=(-XX:+CrashOnOutOfMemoryError)
    rm -f hs_err_pid*.log
    "$java" "${flags[@]}" -cp "$work" Crash "$mode" >/dev/null 2>&1 || true
    log=$(ls hs_err_pid*.log)
    mv "$log" "$here/jdk$v-$mode-$log"
  done
done
java="${jdks[17]}/bin/java"
"$java" -Xmx64m -Djava.library.path="$work" -XX:+ErrorFileToStdout -cp "$work" Crash native \
  >"$here/jdk17-native-stdout.txt" 2>/dev/null || true
rm -f hs_err_pid*.log
printf '\n' | "$java" -Xmx64m -Djava.library.path="$work" -XX:+ShowMessageBoxOnError -cp "$work" Crash native \
  >"$here/jdk17-messagebox-stdout.txt" 2>&1 || true
log=$(ls hs_err_pid*.log)
mv "$log" "$here/jdk17-messagebox-$log"
