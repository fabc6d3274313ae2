public class Spin {
    static volatile long sink;
    static void hot() { for (int i = 0; i < 2_000_000; i++) sink += i * 31L; }
    static void warm() { for (int i = 0; i < 500_000; i++) sink ^= i; }
    public static void main(String[] args) throws Exception {
        Thread sleeper = new Thread(() -> { try { Thread.sleep(60_000); } catch (InterruptedException e) { } }, "sleeper");
        sleeper.setDaemon(true);
        sleeper.start();
        long end = System.currentTimeMillis() + 3000;
        while (System.currentTimeMillis() < end) { hot(); warm(); }
    }
}
