"""Which frames a native crash's signature skips, keeps going through, or starts at — per platform.

Socorro's method (its signature generator's three lists, github.com/mozilla-services/socorro-siggen,
siggen/siglists/README.rst): a **sentinel** frame, when the stack has one, is where the signature starts;
an **irrelevant** frame is skipped (the machinery of dying: raise, the kill syscall's wrappers, the
signal trampoline); a **prefix** frame is kept and the next frame joined to it (abort, an assertion's
reporter, a throw: they say how it died but not where); the first other frame ends the signature.

The lists are ours, written for the platforms pmdesk reads: glibc and musl on Linux (down to glibc 2.35's
__pthread_kill_implementation, which Socorro's lists predate), bionic and ART on Android, libsystem and the
Objective-C/Swift runtimes on Apple's systems, the Windows loader's, and the runtimes whose deaths reach a
native stack — a JVM's error handler, Go's runtime, CPython's fatal error path. Each is a regular
expression matched against the whole normalised frame (native_signature.normalise).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

RULES_VERSION = 1  # bumped whenever a list changes: every dump's signature is computed again (re-bucketed)


@dataclass(frozen=True)
class Rules:
    sentinels: tuple[str, ...]   # normalised frames the signature starts at when present
    irrelevant: tuple[str, ...]  # patterns of frames skipped
    prefix: tuple[str, ...]      # patterns of frames kept, joined to the frame after them
    whole_name: bool = True      # a pattern matches a whole frame (ours); False: its start (Socorro's lists)

    def compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """The irrelevant and prefix patterns, each joined into one expression (compiled once per Rules)."""
        return _compiled(self)

    def __add__(self, other: Rules) -> Rules:
        return Rules(self.sentinels + other.sentinels, self.irrelevant + other.irrelevant, self.prefix + other.prefix,
                     self.whole_name and other.whole_name)


@functools.cache
def _compiled(rules: Rules) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return _join(rules.irrelevant), _join(rules.prefix)


def _join(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


ANY = Rules(
    sentinels=(),
    irrelevant=(
        r"@0x[0-9a-f]+",                   # an address alone says nothing across runs (ASLR)
        r"\?\?",
        r"_?_?(GI_)?_?raise", r"gsignal", r"(__)?(GI_)?_*pthread_kill(_implementation|_internal)?", r"tgkill",
        r"__restore_rt", r"__kernel_rt_sigreturn", r"_sigtramp", r"_?_?sigreturn",
        r"__cxa_throw", r"__cxa_rethrow", r"_Unwind_RaiseException", r"__gxx_personality_v0",
        r"std::__terminate", r"std::terminate", r"__cxxabiv1::__terminate", r"__cxa_call_terminate",
        r"core::panicking::panic_nounwind_fmt::runtime", r"std::sys::pal::unix::abort_internal",
        r"std::process::abort", r"rust_panic", r"std::panicking::rust_panic_with_hook",
        r"__rust_start_panic", r"panic_abort::__rust_start_panic::abort", r"<signal handler called>",
        r"__kernel_vsyscall", r"__libc_do_syscall", r"_dl_sysinfo_int80", r"__?(internal_)?syscall_cancel(_arch)?",
        # the futex under a lock or a wait
        r"__?futex_abstimed_wait_(common|cancelable)(64)?", r"futex_wait", r"__lll_lock_wait(_private)?",
        r"lll_mutex_lock_optimized", r"__pthread_mutex_cond_lock", r"__pthread_cond_wait_common",
        r"__pthread_clockjoin_ex", r"__new_sem_wait_slow(64)?",
    ),
    prefix=(
        r"_?_?(GI_)?_?abort", r"__libc_message(_impl)?", r"__libc_fatal", r"__fortify_fail", r"__chk_fail",
        r"__stack_chk_fail", r"malloc_printerr", r"_int_free(_merge_chunk|_create_chunk)?", r"_int_malloc",
        r"__?libc_free", r"free", r"cfree", r"__?libc_malloc", r"malloc", r"realloc", r"calloc",
        r"__assert_fail", r"__assert_fail_base", r"__assert_perror_fail", r"__assert_rtn", r"__assert",
        r"std::__throw_.*", r"std::__glibcxx_assert_fail", r"__gnu_cxx::__verbose_terminate_handler",
        r"core::panicking::.*", r"std::panicking::.*", r"core::result::unwrap_failed",
        r"core::option::(expect|unwrap)_failed", r"core::option::Option<T>::(unwrap|expect)",
        r"core::result::Result<T, E>::(unwrap|expect)", r"alloc::alloc::handle_alloc_error.*",
        r"memcpy.*", r"memmove.*", r"memset.*", r"strlen.*", r"strcmp.*", r"__memcpy.*", r"__memmove.*",
        r"__memset.*", r"__strlen.*", r"__strcmp.*",
        # how a thread waits (a snapshot's or a deadlock's threads): the public call is kept, where it waits is
        # the frame after it
        r"_{0,3}pthread_mutex_(clock|timed)?lock", r"_{0,3}pthread_cond_(clock|timed)?wait(64)?",
        r"_{0,3}pthread_(timed|clock|try)?join(_np)?", r"_{0,3}(epoll_wait|poll|select|nanosleep|sleep|usleep)",
        r"__?clock_nanosleep(_time64)?", r"syscall", r"sem_(timed)?wait",
    ),
)

LINUX = Rules(
    sentinels=(),
    irrelevant=(r"libc\.so(\.\d+)?", r"libc-\d+\.\d+\.so", r"ld-linux.*\.so(\.\d+)?", r"linux-vdso\.so\.1",
                r"libstdc\+\+\.so(\.\d+)*", r"libc\+\+(abi)?\.so(\.\d+)*", r"libgcc_s\.so(\.\d+)*"),
    prefix=(),
)

ANDROID = Rules(
    sentinels=(),
    irrelevant=(r"libc\.so", r"art::.*", r"libart\.so", r"art_quick_.*", r"art_sigsegv_fault",
                r"android::CallStack::.*", r"android::NativeBridge.*", r"__rt_sigtimedwait"),
    prefix=(r"android_set_abort_message", r"__libc_android_abort", r"async_safe_fatal.*", r"__fortify_fatal",
            r"android::base::LogMessage::~LogMessage", r"__android_log_assert", r"abort_message"),
)

APPLE = Rules(
    sentinels=(),
    irrelevant=(r"libsystem_kernel\.dylib", r"libsystem_pthread\.dylib", r"libsystem_c\.dylib",
                r"__abort_with_payload", r"abort_with_payload(_wrapper_internal)?", r"abort_with_reason",
                r"__exceptionPreprocess", r"_objc_terminate.*", r"demangling_terminate_handler.*",
                r"std::__terminate.*", r"objc_exception_rethrow", r"_CF_forwarding_prep_0", r"___forwarding___",
                r"__pthread_start", r"_pthread_start", r"thread_start", r"start_wqthread"),
    prefix=(r"objc_exception_throw", r"-\[NSException raise\]", r"\+\[NSException raise:format:(arguments:)?\]",
            r"-\[NSObject\(NSObject\) doesNotRecognizeSelector:\]", r"objc_msgSend", r"objc_release",
            r"objc_retain", r"swift_release", r"swift_retain", r"swift_.*Failure.*", r"_assertionFailure.*",
            r"Swift\._assertionFailure.*", r"Swift\._fatalErrorMessage.*", r"Swift\.fatalError.*", r"_swift_stdlib_.*",
            r"Swift runtime failure: .*", r"CFRelease", r"CFRetain", r"__CFRunLoop.*", r"_CFRunLoop.*",
            r"-\[__NSArrayM objectAtIndex:\]", r"-\[__NSArrayI objectAtIndex:\]"),
)

WINDOWS = Rules(
    sentinels=(),
    irrelevant=(r"ntdll\.dll", r"kernelbase\.dll", r"KERNELBASE\.dll", r"RaiseException", r"KiUserExceptionDispatcher",
                r"RtlRaiseException", r"_CxxThrowException", r"CxxThrowException", r"RaiseFailFastException",
                r"NtTerminateProcess", r"ZwTerminateProcess", r"TerminateProcess", r"ucrtbase\.dll"),
    prefix=(r"_?invalid_parameter.*", r"_?invoke_watson", r"__report_gsfailure", r"_purecall", r"abort"),
)

JVM = Rules(   # a HotSpot JVM's own path from the signal to its error report
    sentinels=(),
    irrelevant=(r"os::abort", r"os::die", r"os::Posix::.*", r"os::Linux::chained_handler", r"os::signal_.*",
                r"VMError::.*", r"report_vm_error", r"report_fatal", r"report_should_not_reach_here",
                r"JVM_handle_linux_signal", r"JVM_handle_bsd_signal", r"signalHandler", r"javaSignalHandler",
                r"PosixSignals::.*", r"crash_handler", r"handle_unexpected_exception", r"libjvm\.so",
                r"libjvm\.dylib", r"jvm\.dll", r"ThreadCrashProtection::.*", r"blob",
                # how an allocation that fails reaches the error report (the Java frame below is where)
                r"report_java_out_of_memory", r"MemAllocator::.*", r"\w*Klass::allocate\w*", r"CollectedHeap::.*",
                r"InterpreterRuntime::(new|newarray|anewarray|multianewarray|_new)", r"OptoRuntime::new_\w*",
                r"Runtime1::new_\w*", r"oopFactory::new_\w*"),
    prefix=(r"Unsafe_.*", r"JNI_.*", r"jni_.*", r"checked_jni_.*", r"Java_.*", r"jdk\.internal\.misc\.Unsafe\..*",
            r"sun\.misc\.Unsafe\..*"),
)

GO = Rules(
    sentinels=(),
    irrelevant=(r"runtime\.raise(proc)?", r"runtime\.sigfwdgo", r"runtime\.sigfwd", r"runtime\.cgoSigtramp",
                r"runtime\.dieFromSignal", r"runtime\.crash", r"runtime\.fatalthrow.*",
                r"runtime\.fatalpanic.*", r"runtime\.sighandler", r"runtime\.sigtrampgo", r"runtime\.sigtramp",
                r"runtime\.sigpanic", r"runtime\.systemstack.*", r"runtime\.mcall", r"runtime\.startpanic_m",
                r"runtime\.dopanic_m", r"runtime\.preprintpanics", r"runtime\.printpanics", r"runtime\.abort",
                r"runtime\.panicmem.*", r"runtime\.throw\.func\d+", r"runtime\.fatal\.func\d+",
                r"runtime\.gopanic\.func\d+"),
    prefix=(r"runtime\.throw", r"runtime\.fatal", r"runtime\.gopanic", r"runtime\.panic[A-Za-z]*",
            r"runtime\.goPanic[A-Za-z]*", r"runtime\.mapaccess.*", r"runtime\.mapassign.*", r"runtime\.chansend.*",
            r"runtime\.closechan", r"runtime\.(lock|unlock)2?", r"sync\.fatal", r"sync\.\(\*Mutex\)\.Unlock",
            r"runtime\.memmove", r"runtime\.memclrNoHeapPointers", r"runtime\.typedmemmove"),
)

PYTHON = Rules(  # CPython's path from a fatal error or a signal to abort
    sentinels=(),
    irrelevant=(r"faulthandler_fatal_error", r"faulthandler_.*", r"fatal_error_exit", r"fatal_error",
                r"_Py_FatalErrorFunc", r"_Py_FatalErrorFormat", r"Py_FatalError", r"_PyErr_.*",
                r"os_abort(_impl)?", r"_PyEval_EvalFrameDefault", r"_PyEval_Vector", r"_PyFunction_Vectorcall",
                r"PyObject_Vectorcall", r"_PyObject_.*Call.*", r"PyObject_Call.*", r"cfunction_.*",
                r"method_vectorcall.*", r"_PyObject_MakeTpCall"),
    prefix=(r"_Py_Dealloc", r"Py_DecRef", r"_Py_DECREF.*", r"PyObject_Free", r"_PyObject_Free", r"_PyMem_.*",
            r"PyMem_.*", r"_PyObject_Malloc", r"PyObject_Malloc", r"_PyObject_AssertFailed",
            r"_PyObject_Dump"),
)

# thread dumps (and a crash's other threads): how a thread waits is machinery, what it waits in is the signature
JAVA_WAITS = Rules(
    sentinels=(),
    irrelevant=(r"(jdk\.internal\.misc|sun\.misc)\.Unsafe\.park", r"java\.util\.concurrent\.locks\.LockSupport\..*",
                r"java\.util\.concurrent\.locks\.AbstractQueuedSynchronizer.*",
                r"java\.util\.concurrent\.locks\.ReentrantLock\$\w*Sync\..*",
                r"java\.util\.concurrent\.locks\.ReentrantReadWriteLock\$\w*Sync\..*",
                r"java\.lang\.Object\.wait0?", r"java\.lang\.Thread\.sleep0|java\.lang\.Thread\.sleepNanos0?",
                r"java\.lang\.VirtualThread\.(park|parkNanos|parkOnCarrierThread|yieldContinuation|doYield)\w*",
                r"jdk\.internal\.vm\.Continuation\..*", r"java\.lang\.Thread\.onSpinWait",
                r"java\.util\.concurrent\.ForkJoinPool\.(awaitWork|managedBlock|unmanagedBlock)",
                r"java\.util\.concurrent\.locks\.ReentrantLock\.lockInterruptibly"),
    prefix=(r"java\.util\.concurrent\.locks\.ReentrantLock\.(lock|tryLock)",
            r"java\.util\.concurrent\.locks\.ReentrantReadWriteLock\$(Read|Write)Lock\.lock",
            r"java\.lang\.Thread\.(sleep|join)", r"java\.lang\.Object\.wait",
            r"java\.util\.concurrent\.\w*BlockingQueue\.(take|put|poll|offer)",
            r"java\.util\.concurrent\.(CountDownLatch|CyclicBarrier|Semaphore|Phaser)\.\w+",
            r"java\.util\.concurrent\.(FutureTask|CompletableFuture)\.(get|awaitDone|waitingGet|join)",
            r"java\.util\.concurrent\.locks\.Condition\w*\.await\w*"),
)
GO_WAITS = Rules(
    sentinels=(),
    irrelevant=(r"runtime\.(gopark|goparkunlock|semacquire1?|notetsleepg|notesleep|mPark|stopm|findRunnable|schedule|"
                r"park_m|mcall|usleep|osyield|lock2|lockWithRank|futex\w*|chanrecv|chansend|selectgo|netpollblock|"
                r"block|gcBgMarkWorker|bgsweep|bgscavenge|forcegchelper|runfinq|goexit\d*)",
                r"sync\.runtime_\w+", r"internal/poll\.runtime_pollWait", r"internal/sync\.runtime_\w+"),
    prefix=(r"runtime\.(chanrecv1|chanrecv2|chansend1)", r"sync\.\(\*(Mutex|RWMutex)\)\.(R?Lock|lockSlow)",
            r"internal/sync\.\(\*Mutex\)\.(Lock|lockSlow)", r"sync\.\(\*(WaitGroup|Cond)\)\.Wait", r"time\.Sleep",
            r"internal/poll\.\(\*(pollDesc|FD)\)\.\w+", r"net\.\(\*\w+\)\.(Read|Accept|Write)\w*"),
)
THREADS = JAVA_WAITS + GO_WAITS

PLATFORMS = {   # what Crash.process.os starts with (lower case) → the platform's own lists
    "linux": LINUX, "android": ANDROID, "ios": APPLE, "ipados": APPLE, "macos": APPLE, "mac os": APPLE,
    "os x": APPLE, "iphone os": APPLE, "watchos": APPLE, "tvos": APPLE, "visionos": APPLE, "windows": WINDOWS,
}
RUNTIMES = ANY + JVM + GO + PYTHON


def rules_for(os_name: str | None) -> Rules:
    """The lists for a crash on this OS (the process's OS as its report words it; unknown: Linux's)."""
    words = (os_name or "").strip().lower()
    own = next((r for prefix, r in PLATFORMS.items() if words.startswith(prefix)), LINUX)
    return RUNTIMES + own
