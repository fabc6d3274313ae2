import java.util.concurrent.*;
import java.util.concurrent.locks.*;
public class VThreads {
    static final Object A = new Object(), B = new Object();
    public static void main(String[] args) throws Exception {
        Thread.ofPlatform().name("deadlock-A").daemon().start(() -> { synchronized (A) { pause(); synchronized (B) {} } });
        Thread.ofPlatform().name("deadlock-B").daemon().start(() -> { synchronized (B) { pause(); synchronized (A) {} } });
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
        for (int i = 0; i < 5; i++) ex.submit(() -> { lock.lock(); return null; });
        for (int i = 0; i < 3; i++) ex.submit(() -> { Thread.sleep(600_000); return null; });
        System.out.println("ready");
        Thread.sleep(600_000);
    }
    static void pause() { try { Thread.sleep(200); } catch (InterruptedException e) {} }
}
