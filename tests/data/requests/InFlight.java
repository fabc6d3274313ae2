import com.sun.net.httpserver.*;
import java.io.*;
import java.lang.management.ManagementFactory;
import java.net.*;
import java.net.http.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;

/** Keeps HTTP requests in flight in HttpServer handler threads, then dumps the heap (args: dump path). */
public class InFlight {
    static final CountDownLatch release = new CountDownLatch(1);
    static final CountDownLatch arrived = new CountDownLatch(4);
    static final ThreadLocal<String> REQUEST_ID = new ThreadLocal<>();   // as a logging MDC keeps one

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", exchange -> {
            REQUEST_ID.set("req-" + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            byte[] body = exchange.getRequestBody().readAllBytes();   // the handler has read the body
            arrived.countDown();
            try { release.await(); } catch (InterruptedException e) { }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        HttpClient client = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        List<HttpRequest> reqs = List.of(
            HttpRequest.newBuilder(URI.create(base + "/orders?id=42&sort=desc")).header("X-Trace", "abc-123").GET().build(),
            HttpRequest.newBuilder(URI.create(base + "/orders")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"widget\",\"qty\":3}")).build(),
            HttpRequest.newBuilder(URI.create(base + "/upload/blob")).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[]{0, 1, 2, (byte) 0xff, 10, 13})).build(),
            HttpRequest.newBuilder(URI.create(base + "/search?q=caf%C3%A9")).header("X-Big", "x".repeat(6000)).GET().build());
        for (HttpRequest r : reqs) client.sendAsync(r, HttpResponse.BodyHandlers.discarding());
        arrived.await();
        Thread.sleep(300);
        var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        bean.dumpHeap(args[0], true);
        release.countDown();
        server.stop(0);
        System.exit(0);
    }
}
