// Crashes the JVM on purpose, in the way named by its first argument, for pmdesk's hs_err_pid<N>.log tests
// (tests/data/hserr/make.sh). Threads with known names are started first so the log's thread list is checkable.
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

public class Crash {
    static final sun.misc.Unsafe U = unsafe();
    static volatile long sink;

    static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes to address; compiled by C2 after the warm-up, interpreted under -Xint. */
    static void write(long address, int value) {
        U.putInt(address, value);
    }

    static void interpreted() {
        write(0L, 42);
    }

    static void compiled() {
        long buffer = U.allocateMemory(64);
        for (int i = 0; i < 200_000; i++) {
            write(buffer + (i & 15) * 4, i);
        }
        write(0L, 42);
    }

    static native void nativeCrash(int depth);

    static void nativeLibrary() {
        System.loadLibrary("crashnative");
        nativeCrash(3);
    }

    static void outOfMemory() {
        List<long[]> hold = new ArrayList<>();
        while (true) {
            hold.add(new long[1 << 20]);
        }
    }

    public static void main(String[] args) throws Exception {
        CountDownLatch started = new CountDownLatch(2);
        for (String name : new String[] {"pmdesk-worker-1", "pmdesk-worker-2"}) {
            Thread t = new Thread(() -> {
                started.countDown();
                synchronized (Crash.class) {
                    try {
                        Crash.class.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, name);
            t.setDaemon(true);
            t.start();
        }
        started.await();
        switch (args[0]) {
            case "interpreted" -> interpreted();
            case "compiled" -> compiled();
            case "native" -> nativeLibrary();
            case "oom" -> outOfMemory();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
