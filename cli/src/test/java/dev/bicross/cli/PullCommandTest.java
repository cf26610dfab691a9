package dev.bicross.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bicross pull} end to end against a minimal loopback Hub, and its progress text. */
class PullCommandTest {

    private static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path temp;

    private record Result(int exitCode, String out, String err) { }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = CliErrors.configure(new CommandLine(new Main()));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void pullsIntoTheCacheAndPrintsTheFolder() throws Exception {
        Map<String, byte[]> files = Map.of(
                "config.json", "{\"model_type\":\"bert\"}".getBytes(StandardCharsets.UTF_8),
                "model.safetensors", new byte[12_345],
                "vocab.txt", "[PAD]\n[UNK]\n".getBytes(StandardCharsets.UTF_8));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> serve(exchange, files));
        server.start();
        try {
            String endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
            Path cache = temp.resolve("hub");

            Result result = run("pull", "acme/tiny", "--endpoint", endpoint, "--cache-dir", cache.toString());

            assertEquals(0, result.exitCode(), result.err());
            Path folder = cache.resolve("models--acme--tiny/snapshots").resolve(COMMIT);
            assertEquals(folder.toString(), result.out().strip());
            assertEquals(12_345, Files.size(folder.resolve("model.safetensors")));
            assertTrue(result.err().contains("model.safetensors  12.3 kB / 12.3 kB  100%"), result.err());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void unreachableHubIsOneClearLine() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Result result = run("pull", "acme/tiny", "--endpoint", "http://127.0.0.1:" + closedPort,
                "--cache-dir", temp.toString());

        assertEquals(CliErrors.FAILURE, result.exitCode());
        String first = result.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("bicross: cannot reach http://127.0.0.1:" + closedPort), first);
        assertTrue(first.contains("HF_HUB_OFFLINE=1"), first);
    }

    @Test
    void progressTextShowsSizeRateAndEta() {
        // 25 MB of 100 MB moved in 2 s: 12.5 MB/s, 75 MB left, so 6 s.
        assertEquals("model.safetensors  25.0 MB / 100.0 MB   25%  12.5 MB/s  ETA 0:06",
                DownloadProgressLine.format("model.safetensors", 25_000_000, 100_000_000, 2_000_000_000L, 25_000_000));
        assertEquals("vocab.txt  999 B", DownloadProgressLine.format("vocab.txt", 999, -1, 0, 0));
        assertEquals("1:01:01", DownloadProgressLine.duration(3661));
        assertEquals("1.5 GB", DownloadProgressLine.bytes(1_500_000_000L));
    }

    /** The Hub's answer for a regular (non-LFS) file: X-Repo-Commit, the git blob sha1 as ETag, EntryNotFound. */
    private static void serve(HttpExchange exchange, Map<String, byte[]> files) throws IOException {
        try (exchange) {
            String prefix = "/acme/tiny/resolve/";
            String path = exchange.getRequestURI().getPath();
            String rest = path.startsWith(prefix) ? path.substring(prefix.length()) : "";
            String file = rest.contains("/") ? rest.substring(rest.indexOf('/') + 1) : "";
            exchange.getResponseHeaders().set("X-Repo-Commit", COMMIT);
            byte[] content = files.get(file);
            if (content == null) {
                exchange.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(content) + "\"");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(content.length));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, content.length);
            exchange.getResponseBody().write(content);
        }
    }

    private static String gitBlobSha1(byte[] content) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
