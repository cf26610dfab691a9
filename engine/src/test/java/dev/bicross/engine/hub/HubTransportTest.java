package dev.bicross.engine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How requests reach the Hub: retries on transient answers, and HTTP proxies ({@link HubProxy}). */
class HubTransportTest {

    private static final String REPO = "acme/mini-bert";

    @TempDir
    Path temp;

    private FakeHub hub;
    private Map<String, byte[]> files;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        files = FakeHub.modelFiles(200_000, 7);
        hub.commit(REPO, "main", files);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubConfig config() {
        return new HubConfig(hub.endpoint(), temp.resolve("cache"), null, false,
                Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    @Test
    void transientGatewayErrorsAreRetried() throws IOException {
        hub.failNextRequests("hub", 503, HubClient.TRANSIENT_ATTEMPTS - 1);
        hub.failNextRequests("cdn", 502, HubClient.TRANSIENT_ATTEMPTS - 1);

        Path folder = new ModelResolver(config()).resolve(REPO);

        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(folder.resolve("model.safetensors")));
        assertEquals(HubClient.TRANSIENT_ATTEMPTS, hub.requests("cdn", "GET").size(), "two refusals, then the body");
    }

    @Test
    void persistentServerErrorFailsAfterTheLastAttemptAndStoresNothing() {
        hub.failNextRequests("hub", 500, 1_000);

        HubException e = assertThrows(HubException.class, () -> new ModelResolver(config()).resolve(REPO));

        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertEquals(HubClient.TRANSIENT_ATTEMPTS, hub.requests("hub", "HEAD").size());
        assertFalse(Files.exists(temp.resolve("cache/models--acme--mini-bert/snapshots")));
    }

    @Test
    void downloadsGoThroughTheProxyAndNoProxyBypassesIt() throws IOException {
        try (ForwardingProxy proxy = new ForwardingProxy(null)) {
            HubConfig viaProxy = config().withProxy(HubProxy.fromEnvironment(Map.of("HTTP_PROXY", proxy.address())));
            Path folder = new ModelResolver(viaProxy).resolve(REPO);

            assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(folder.resolve("model.safetensors")));
            // Every request, to the Hub and to the CDN on its other host, went through the proxy.
            assertEquals(hub.requests().size(), proxy.forwarded.size(), proxy.forwarded.toString());
            assertTrue(proxy.forwarded.stream().anyMatch(r -> r.startsWith("GET http://127.0.0.2")
                    || r.contains("/lfs/")), proxy.forwarded.toString());

            int before = proxy.forwarded.size();
            HubConfig bypassed = config().withCacheDir(temp.resolve("cache2")).withProxy(HubProxy.fromEnvironment(
                    Map.of("HTTP_PROXY", proxy.address(), "NO_PROXY", "127.0.0.1,127.0.0.2")));
            new ModelResolver(bypassed).resolve(REPO);
            assertEquals(before, proxy.forwarded.size(), "NO_PROXY hosts are reached directly");
        }
    }

    @Test
    void proxyCredentialsAreSentWhenTheProxyAsks() throws IOException {
        try (ForwardingProxy proxy = new ForwardingProxy("ada:s3cret")) {
            HubConfig noCredentials = config().withProxy(HubProxy.fromEnvironment(Map.of("HTTP_PROXY", proxy.address())));
            HubException refused = assertThrows(HubException.class,
                    () -> new ModelResolver(noCredentials).resolve(REPO));
            assertTrue(refused.getMessage().contains("407"), refused.getMessage());

            HubConfig withCredentials = config().withCacheDir(temp.resolve("cache2")).withProxy(HubProxy.fromEnvironment(
                    Map.of("HTTP_PROXY", "http://ada:s3cret@" + proxy.address())));
            Path folder = new ModelResolver(withCredentials).resolve(REPO);
            assertArrayEquals(files.get("config.json"), Files.readAllBytes(folder.resolve("config.json")));
        }
    }

    @Test
    void unreachableProxyIsNamed() throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        HubConfig viaDeadProxy = config().withProxy(
                HubProxy.fromEnvironment(Map.of("HTTP_PROXY", "127.0.0.1:" + closedPort)));
        HubException e = assertThrows(HubException.class, () -> new ModelResolver(viaDeadProxy).resolve(REPO));
        assertEquals(HubException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("through the proxy 127.0.0.1:" + closedPort), e.getMessage());
    }

    /**
     * A minimal HTTP forward proxy: requests arrive in absolute form ({@code GET http://host/path}) and are replayed
     * directly to their target, answer and headers copied back. With {@code credentials} ("user:password") it
     * answers 407 until the client sends them as {@code Proxy-Authorization: Basic}.
     */
    private static final class ForwardingProxy implements AutoCloseable {
        final List<String> forwarded = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final String expectedAuthorization;

        ForwardingProxy(String credentials) throws IOException {
            expectedAuthorization = credentials == null ? null
                    : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::forward);
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        private void forward(HttpExchange exchange) throws IOException {
            try (exchange) {
                URI target = exchange.getRequestURI();
                if (expectedAuthorization != null
                        && !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Proxy-Authorization"))) {
                    exchange.getResponseHeaders().set("Proxy-Authenticate", "Basic realm=\"test\"");
                    exchange.sendResponseHeaders(407, -1);
                    return;
                }
                if (target.getHost() == null) {
                    exchange.sendResponseHeaders(400, -1); // not a proxy request
                    return;
                }
                forwarded.add(exchange.getRequestMethod() + " " + target);
                HttpURLConnection upstream = (HttpURLConnection) target.toURL().openConnection(Proxy.NO_PROXY);
                upstream.setInstanceFollowRedirects(false);
                upstream.setRequestMethod(exchange.getRequestMethod());
                for (String header : List.of("Range", "Authorization", "Accept-Encoding", "User-Agent")) {
                    String value = exchange.getRequestHeaders().getFirst(header);
                    if (value != null) {
                        upstream.setRequestProperty(header, value);
                    }
                }
                int status = upstream.getResponseCode();
                upstream.getHeaderFields().forEach((name, values) -> {
                    if (name != null && !name.equalsIgnoreCase("Transfer-Encoding")
                            && !name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Connection")) {
                        exchange.getResponseHeaders().put(name, values);
                    }
                });
                if (exchange.getRequestMethod().equals("HEAD")) {
                    String length = upstream.getHeaderField("Content-Length");
                    if (length != null) {
                        exchange.getResponseHeaders().set("Content-Length", length);
                    }
                    exchange.sendResponseHeaders(status, -1);
                    return;
                }
                InputStream body = status >= 400 ? upstream.getErrorStream() : upstream.getInputStream();
                byte[] bytes = body == null ? new byte[0] : body.readAllBytes();
                exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
                exchange.getResponseBody().write(bytes);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
