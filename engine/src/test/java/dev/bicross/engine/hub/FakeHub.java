package dev.bicross.engine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback imitation of the Hugging Face Hub's file API, built from its documented behaviour: HEAD/GET on
 * {@code /{org}/{name}/resolve/{revision}/{file}} answer with {@code X-Repo-Commit}; regular files carry their git
 * blob sha1 as {@code ETag}; LFS files (*.safetensors, *.bin) answer with a 302 to a CDN on another origin and
 * {@code X-Linked-Etag} (sha256) / {@code X-Linked-Size}; errors carry {@code X-Error-Code}. Faults can be armed:
 * a body cut short, a corrupted body, a gated repository, a renamed repository (relative redirect).
 */
final class FakeHub implements AutoCloseable {

    /** One request as the servers saw it. */
    record Request(String server, String method, String path, String authorization, String range) { }

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Map<String, String>> refs = new ConcurrentHashMap<>();          // repo -> ref -> commit
    private final Map<String, Map<String, Map<String, byte[]>>> trees = new ConcurrentHashMap<>(); // repo -> commit -> files
    private final Map<String, byte[]> lfsObjects = new ConcurrentHashMap<>();                 // sha256 -> bytes
    private final Map<String, String> gatedTokens = new ConcurrentHashMap<>();                // repo -> token
    private final Map<String, String> renamed = new ConcurrentHashMap<>();                    // old repo -> new repo
    private final Map<String, int[]> truncations = new ConcurrentHashMap<>();                 // sha256 -> {bytes, times}
    private final Map<String, Boolean> corruptOnce = new ConcurrentHashMap<>();               // sha256
    private final Map<String, Integer> stallOnce = new ConcurrentHashMap<>();                 // sha256 -> bytes sent
    private final Map<String, int[]> transientFailures = new ConcurrentHashMap<>();            // server -> {status, times}
    private int commitCounter;

    FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn = createCdnServer();
        hub.createContext("/", this::serveHub);
        cdn.createContext("/", this::serveCdn);
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    /**
     * The CDN listens on 127.0.0.2 where the system routes it (Linux routes all of 127/8 to loopback), so that it is
     * another host, as a real CDN is; elsewhere it falls back to another port of 127.0.0.1 (another origin).
     */
    private static HttpServer createCdnServer() throws IOException {
        try {
            return HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 0), 0);
        } catch (IOException e) {
            return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Publishes a new commit of {@code repo} with these files and points {@code ref} at it; returns the hash. */
    synchronized String commit(String repo, String ref, Map<String, byte[]> files) {
        String commit = sha1Hex(("commit " + (++commitCounter) + repo).getBytes(StandardCharsets.UTF_8));
        trees.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(commit, new LinkedHashMap<>(files));
        refs.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(ref, commit);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            if (isLfs(file.getKey())) {
                lfsObjects.put(sha256Hex(file.getValue()), file.getValue());
            }
        }
        return commit;
    }

    void tag(String repo, String tag, String commit) {
        refs.get(repo).put(tag, commit);
    }

    void gate(String repo, String token) {
        gatedTokens.put(repo, token);
    }

    void rename(String oldRepo, String newRepo) {
        renamed.put(oldRepo, newRepo);
    }

    /**
     * The next {@code times} downloads of this content (LFS or not) announce the full length (of the requested range)
     * but send only {@code bytes} of it before the connection drops.
     */
    void truncateDownloads(byte[] content, int bytes, int times) {
        truncations.put(sha256Hex(content), new int[] {bytes, times});
    }

    void stopTruncating(byte[] content) {
        truncations.remove(sha256Hex(content));
    }

    /** How many bytes this response may send before it is cut, or null to send it whole. */
    private Integer takeTruncation(String sha) {
        int[] rule = truncations.computeIfPresent(sha, (k, r) -> r[1] > 0 ? new int[] {r[0], r[1] - 1} : null);
        return rule == null ? null : rule[0];
    }

    /** The next download of this LFS object sends {@code bytes} of it, then nothing more for five seconds. */
    void stallNextDownload(byte[] content, int bytes) {
        stallOnce.put(sha256Hex(content), bytes);
    }

    /** The next download of this LFS object sends the right length with one byte changed. */
    void corruptNextDownload(byte[] content) {
        corruptOnce.put(sha256Hex(content), true);
    }

    /**
     * The next {@code times} requests to {@code server} ("hub" or "cdn") are answered with {@code status} and
     * {@code Retry-After: 0}, as a gateway or CDN in trouble answers (503, 502, 429, ...).
     */
    void failNextRequests(String server, int status, int times) {
        transientFailures.put(server, new int[] {status, times});
    }

    /** Answers with an armed transient failure, if any; true when it did. */
    private boolean failedTransiently(String server, HttpExchange exchange) throws IOException {
        int[] rule = transientFailures.computeIfPresent(server, (k, r) -> r[1] > 0 ? new int[] {r[0], r[1] - 1} : null);
        if (rule == null) {
            return false;
        }
        exchange.getResponseHeaders().set("Retry-After", "0");
        send(exchange, rule[0], null);
        exchange.close();
        return true;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String server, String method) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)).toList();
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".bin");
    }

    static String gitBlobSha1(byte[] content) {
        byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(header, header.length + content.length);
        System.arraycopy(content, 0, all, header.length, content.length);
        return sha1Hex(all);
    }

    static String sha256Hex(byte[] content) {
        return digest("SHA-256", content);
    }

    private static String sha1Hex(byte[] content) {
        return digest("SHA-1", content);
    }

    private static String digest(String algorithm, byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange exchange) {
        requests.add(new Request(server, exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Authorization"),
                exchange.getRequestHeaders().getFirst("Range")));
    }

    private void serveHub(HttpExchange exchange) throws IOException {
        try (exchange) {
            record("hub", exchange);
            if (failedTransiently("hub", exchange)) {
                return;
            }
            Matcher m = RESOLVE.matcher(exchange.getRequestURI().getRawPath());
            if (!m.matches()) {
                send(exchange, 404, null);
                return;
            }
            String repo = m.group(1);
            String revision = URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
            String file = URLDecoder.decode(m.group(3), StandardCharsets.UTF_8);
            if (renamed.containsKey(repo)) { // relative Location, as the Hub does for a renamed repository
                exchange.getResponseHeaders().set("Location",
                        "/" + renamed.get(repo) + "/resolve/" + m.group(2) + "/" + m.group(3));
                send(exchange, 307, null);
                return;
            }
            if (!trees.containsKey(repo)) {
                error(exchange, 404, "RepositoryNotFound", null);
                return;
            }
            String expectedToken = gatedTokens.get(repo);
            if (expectedToken != null
                    && !("Bearer " + expectedToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                error(exchange, 401, "GatedRepo", null);
                return;
            }
            String commit = refs.get(repo).getOrDefault(revision,
                    trees.get(repo).containsKey(revision) ? revision : null);
            if (commit == null) {
                error(exchange, 404, "RevisionNotFound", null);
                return;
            }
            byte[] content = trees.get(repo).get(commit).get(file);
            if (content == null) {
                error(exchange, 404, "EntryNotFound", commit);
                return;
            }
            exchange.getResponseHeaders().set("X-Repo-Commit", commit);
            if (isLfs(file)) {
                String sha = sha256Hex(content);
                exchange.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                exchange.getResponseHeaders().set("X-Linked-Size", Long.toString(content.length));
                exchange.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(("pointer " + sha).getBytes()) + "\"");
                exchange.getResponseHeaders().set("Location",
                        "http://" + cdn.getAddress().getAddress().getHostAddress() + ":" + cdn.getAddress().getPort()
                                + "/lfs/" + sha + "?X-Signature=secret");
                send(exchange, 302, null);
                return;
            }
            exchange.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(content) + "\"");
            Integer cut = exchange.getRequestMethod().equals("GET") ? takeTruncation(sha256Hex(content)) : null;
            if (cut != null) {
                cutShort(exchange, content, 0, cut); // the Hub serves regular files whole, ignoring Range
            }
            sendContent(exchange, content, false, false);
        }
    }

    private void serveCdn(HttpExchange exchange) throws IOException {
        record("cdn", exchange);
        if (failedTransiently("cdn", exchange)) {
            return;
        }
        String path = exchange.getRequestURI().getRawPath();
        String sha = path.startsWith("/lfs/") ? path.substring(5) : "";
        byte[] content = lfsObjects.get(sha);
        boolean get = exchange.getRequestMethod().equals("GET");
        Integer cut = get && content != null ? takeTruncation(sha) : null;
        if (cut != null) {
            String range = exchange.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            cutShort(exchange, content, m != null && m.matches() ? Integer.parseInt(m.group(1)) : 0, cut);
        }
        Integer stall = get && content != null ? stallOnce.remove(sha) : null;
        if (stall != null) {
            exchange.sendResponseHeaders(200, content.length);
            exchange.getResponseBody().write(content, 0, stall);
            exchange.getResponseBody().flush();
            try {
                Thread.sleep(5_000); // the client's read timeout must end this, not the sleep
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("fake hub: stalled after " + stall + " bytes");
        }
        try (exchange) {
            if (content == null) {
                send(exchange, 404, null);
                return;
            }
            boolean corrupt = get && corruptOnce.remove(sha) != null;
            sendContent(exchange, content, corrupt, true);
        }
    }

    /**
     * Announces the full length, sends {@code cut} bytes, then fails the handler: the server drops the connection at
     * once and the client sees the body end early, as when a connection breaks mid-download.
     */
    private static void cutShort(HttpExchange exchange, byte[] content, int from, int cut) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        if (from > 0) {
            exchange.getResponseHeaders().set("Content-Range",
                    "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, content.length - from);
        OutputStream out = exchange.getResponseBody();
        out.write(content, from, Math.min(cut, content.length - from));
        out.flush();
        throw new IOException("fake hub: connection cut after " + cut + " bytes");
    }

    private static void sendContent(HttpExchange exchange, byte[] content, boolean corrupt, boolean ranges)
            throws IOException {
        byte[] body = content;
        if (corrupt) {
            body = content.clone();
            body[body.length / 2] ^= 0x5a;
        }
        int from = 0;
        String range = exchange.getRequestHeaders().getFirst("Range");
        Matcher m = range == null ? null : RANGE.matcher(range);
        int status = 200;
        if (ranges && m != null && m.matches()) {
            from = Integer.parseInt(m.group(1));
            if (from >= body.length) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                send(exchange, 416, null);
                return;
            }
            status = 206;
            exchange.getResponseHeaders().set("Content-Range",
                    "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        byte[] slice = Arrays.copyOfRange(body, from, body.length);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(slice.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        send(exchange, status, slice);
    }

    private static void error(HttpExchange exchange, int status, String code, String commit) throws IOException {
        exchange.getResponseHeaders().set("X-Error-Code", code);
        if (commit != null) {
            exchange.getResponseHeaders().set("X-Repo-Commit", commit);
        }
        send(exchange, status, ("{\"error\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        if (body == null || exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        int chunk = throttleChunkBytes;
        if (chunk <= 0) {
            exchange.getResponseBody().write(body);
            return;
        }
        for (int from = 0; from < body.length; from += chunk) { // a slow link: a chunk, then a pause
            exchange.getResponseBody().write(body, from, Math.min(chunk, body.length - from));
            exchange.getResponseBody().flush();
            try {
                Thread.sleep(THROTTLE_PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("fake hub: interrupted", e);
            }
        }
    }

    private static final long THROTTLE_PAUSE_MILLIS = 10;
    private static volatile int throttleChunkBytes;

    /** Sends bodies in chunks of {@code bytes} with a 10 ms pause after each (0: at full speed). */
    void throttle(int bytes) {
        throttleChunkBytes = bytes;
    }

    @Override
    public void close() {
        throttleChunkBytes = 0;
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }

    /** A small model's files, as a BERT repository on the Hub would hold them. */
    static Map<String, byte[]> modelFiles(int weightBytes, long seed) {
        Map<String, byte[]> files = new HashMap<>();
        byte[] weights = new byte[weightBytes];
        new java.util.Random(seed).nextBytes(weights);
        files.put("config.json", ("{\"model_type\":\"bert\",\"hidden_size\":32,\"seed\":" + seed + "}")
                .getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", weights);
        files.put("tokenizer.json", "{\"model\":{\"type\":\"WordPiece\"}}".getBytes(StandardCharsets.UTF_8));
        files.put("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".getBytes(StandardCharsets.UTF_8));
        files.put("modules.json", "[]".getBytes(StandardCharsets.UTF_8));
        files.put("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\":true}".getBytes(StandardCharsets.UTF_8));
        return files;
    }

    static List<String> paths(List<Request> requests) {
        List<String> out = new ArrayList<>();
        for (Request r : requests) {
            out.add(r.server() + " " + r.method() + " " + r.path());
        }
        return out;
    }
}
