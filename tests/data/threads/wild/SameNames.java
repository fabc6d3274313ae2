import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/** Three deadlock cycles whose threads carry the same two names (a pool that reuses names): two on monitors,
 *  one on ReentrantLocks. With "mxbean" it also prints ThreadInfo.toString() of every thread, as monitoring
 *  agents log it. */
public class SameNames {
    static final CountDownLatch held = new CountDownLatch(6);

    static void monitors() {
        Object a = new Object(), b = new Object();
        start("DeadlockThread-A", () -> { synchronized (a) { hold(); synchronized (b) { } } });
        start("DeadlockThread-B", () -> { synchronized (b) { hold(); synchronized (a) { } } });
    }

    static void locks() {
        ReentrantLock a = new ReentrantLock(), b = new ReentrantLock();
        start("DeadlockThread-A", () -> { a.lock(); hold(); b.lock(); });
        start("DeadlockThread-B", () -> { b.lock(); hold(); a.lock(); });
    }

    static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    static void hold() {
        held.countDown();
        try { held.await(); Thread.sleep(200); } catch (InterruptedException e) { }
    }

    public static void main(String[] args) throws Exception {
        monitors();
        locks();
        monitors();
        held.await();
        Thread.sleep(1500);
        if (args.length > 0 && args[0].equals("mxbean")) {
            for (ThreadInfo ti : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                System.out.print(ti.toString());
            }
            System.out.flush();
            return;
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(600_000);
    }
}
