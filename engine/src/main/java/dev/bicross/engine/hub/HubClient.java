package dev.bicross.engine.hub;

import dev.bicross.engine.hub.HubException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to a Hugging Face Hub the way {@code huggingface_hub} does: a HEAD on {@code /{repo}/resolve/{rev}/{file}}
 * that follows only redirects staying on the Hub's host (a renamed repository) and reads the file's identity from the
 * Hub's own answer (an LFS file's 302 carries {@code X-Linked-Etag}/{@code X-Linked-Size}), then a GET on the CDN location,
 * resumed with {@code Range} when a partial download exists. The token is sent to the endpoint's origin only.
 * <p>
 * {@link HttpURLConnection} rather than {@code HttpClient}: its read timeout bounds every read of a body, so a
 * stalled transfer fails instead of hanging.
 */
final class HubClient {

    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final long PROGRESS_STEP_BYTES = 256 * 1024;
    private static final String USER_AGENT = "bicross/0.1.0 (java " + Runtime.version().feature() + ")";
    private static final Pattern SAFE_ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** How often a request is sent in all while the server answers "try again later". */
    static final int TRANSIENT_ATTEMPTS = 3;
    private static final java.util.Set<Integer> TRANSIENT_STATUSES = java.util.Set.of(429, 500, 502, 503, 504);

    private final HubConfig config;

    HubClient(HubConfig config) {
        this.config = config;
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{file}}, with the revision and file path percent-encoded. */
    URI resolveUrl(ModelId id, String revision, String file) {
        StringBuilder path = new StringBuilder(config.endpoint().toString())
                .append('/').append(id.repo()).append("/resolve/").append(encode(revision));
        for (String segment : file.split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(path.toString());
    }

    /**
     * Asks the Hub about one file.
     *
     * @return the file's metadata, or empty when the file does not exist at that revision
     * @throws HubException when the model or revision does not exist, access is denied, or the Hub is unreachable
     */
    Optional<RemoteFile> head(ModelId id, String revision, String file) throws HubException {
        URI url = resolveUrl(id, revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection connection = request(url, "HEAD", 0, id);
            int status = send(connection, id, url);
            if (status >= 300 && status < 400) {
                URI target = location(connection, url);
                if (sameHost(url, target)) {
                    url = target; // e.g. a renamed repository: ask again at the new name
                    continue;
                }
                // A CDN or storage host: the Hub's own answer carries the metadata, and the token stays home.
                return Optional.of(describe(connection, id, file, target, true));
            }
            if (status == 200) {
                return Optional.of(describe(connection, id, file, url, false));
            }
            return refusal(connection, status, id, revision, file, url);
        }
        throw new HubException(Reason.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects for '" + id + "' "
                + file + " starting at " + withoutQuery(resolveUrl(id, revision, file)));
    }

    /**
     * Downloads a file into {@code partial} (resuming what is there) and, once its size and checksum are right,
     * renames it atomically to {@code blob}. On a broken connection the partial file stays for the next attempt;
     * on a checksum or size mismatch it is deleted. Either way {@code blob} is untouched unless everything checks.
     */
    void fetch(ModelId id, RemoteFile remote, Path partial, Path blob, DownloadListener listener) throws IOException {
        Files.createDirectories(partial.getParent());
        Progress progress = new Progress(remote, Files.isRegularFile(partial) ? Files.size(partial) : 0);
        if (progress.expected >= 0 && progress.have > progress.expected) {
            Files.delete(partial); // longer than the file can be: not a prefix of it
            progress.restart();
        }
        if (progress.have > 0 && progress.digest != null) {
            try (InputStream in = Files.newInputStream(partial)) {
                digestAll(in, progress.digest);
            }
        }
        listener.onProgress(remote.file(), progress.have, progress.expected);

        IOException broken = null;
        if (progress.expected < 0 || progress.have < progress.expected) {
            HttpURLConnection connection = openBody(id, remote, partial, progress);
            broken = receive(connection, partial, progress, listener);
        }
        verify(id, remote, partial, progress, broken);
        listener.onProgress(remote.file(), progress.have, progress.expected);
        HubCache.move(partial, blob);
    }

    /** Where one file's download stands: bytes on disk, the size to reach, the running checksum (LFS files). */
    private static final class Progress {
        private final RemoteFile remote;
        long have;
        long expected;
        MessageDigest digest;

        Progress(RemoteFile remote, long have) {
            this.remote = remote;
            this.have = have;
            this.expected = remote.size();
            this.digest = remote.checksummed() ? sha256() : null;
        }

        void restart() {
            have = 0;
            digest = remote.checksummed() ? sha256() : null;
        }
    }

    /**
     * Sends the GET (with {@code Range} when resuming) and settles where the body starts: a 206 continues the
     * partial file, a 200 replaces it (the server ignored Range), a 416 means the partial file is no prefix of this
     * file, so it is dropped and the whole file requested.
     */
    private HttpURLConnection openBody(ModelId id, RemoteFile remote, Path partial, Progress progress)
            throws IOException {
        HttpURLConnection connection = get(id, remote, progress.have);
        int status = connection.getResponseCode();
        if (status == 416) {
            connection.disconnect();
            Files.deleteIfExists(partial);
            progress.restart();
            connection = get(id, remote, 0);
            status = connection.getResponseCode();
        }
        if (status == 206) {
            String header = connection.getHeaderField("Content-Range");
            long[] range = contentRange(header);
            if (range == null || range[0] != progress.have) {
                connection.disconnect();
                throw new HubException(Reason.PROTOCOL, "server answered the resume of '" + id + "' " + remote.file()
                        + " at byte " + progress.have + " with Content-Range '" + header + "'");
            }
            if (progress.expected < 0 && range[2] >= 0) {
                progress.expected = range[2];
            }
        } else if (status == 200) {
            if (progress.have > 0) {
                progress.restart();
            }
            if (progress.expected < 0) {
                progress.expected = connection.getContentLengthLong();
            }
        } else {
            String message = "HTTP " + status + " from " + withoutQuery(connection.getURL())
                    + " while downloading '" + id + "' " + remote.file();
            connection.disconnect();
            throw new HubException(status == 401 || status == 403 ? Reason.ACCESS_DENIED : Reason.PROTOCOL, message);
        }
        return connection;
    }

    /**
     * Copies the body to the partial file (appending when resuming), hashing as it goes.
     *
     * @return the exception that broke the transfer off (the bytes before it are on disk), or null if it ended
     */
    private IOException receive(HttpURLConnection connection, Path partial, Progress progress,
                                DownloadListener listener) throws IOException {
        StandardOpenOption mode = progress.have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        byte[] buffer = new byte[BUFFER_BYTES];
        long reported = progress.have;
        IOException broken = null;
        try (InputStream in = connection.getInputStream();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     mode)) {
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    broken = e;
                    break;
                }
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                if (progress.digest != null) {
                    progress.digest.update(buffer, 0, n);
                }
                progress.have += n;
                if (progress.have - reported >= PROGRESS_STEP_BYTES) {
                    listener.onProgress(progress.remote.file(), progress.have, progress.expected);
                    reported = progress.have;
                }
            }
        } catch (IOException e) {
            if (broken == null) {
                throw e; // writing failed (disk full, permissions): say so as it is
            }
        }
        if (broken != null) {
            connection.disconnect();
        }
        return broken;
    }

    /** Keeps a short file for resuming; deletes one that is too long or fails its checksum. */
    private void verify(ModelId id, RemoteFile remote, Path partial, Progress progress, IOException broken)
            throws IOException {
        String what = "download of '" + id + "' " + remote.file();
        if (broken != null || progress.expected >= 0 && progress.have < progress.expected) {
            String cause = broken == null || broken instanceof java.io.EOFException
                    || String.valueOf(broken.getMessage()).contains("EOF") ? "connection closed early"
                    : broken instanceof SocketTimeoutException ? "no data for " + seconds(config.readTimeout())
                    : broken.getMessage() == null ? broken.getClass().getSimpleName() : broken.getMessage();
            throw new HubException(Reason.INCOMPLETE, what + " stopped at " + progress.have
                    + (progress.expected >= 0 ? " of " + progress.expected : "") + " bytes (" + cause
                    + "); run again to resume it", broken);
        }
        if (progress.expected >= 0 && progress.have > progress.expected) {
            Files.deleteIfExists(partial);
            throw new HubException(Reason.CORRUPT, what + " has " + progress.have + " bytes but the Hub announced "
                    + progress.expected + "; the download was discarded");
        }
        if (progress.digest != null) {
            String actual = HexFormat.of().formatHex(progress.digest.digest());
            if (!actual.equals(remote.etag())) {
                Files.deleteIfExists(partial);
                throw new HubException(Reason.CORRUPT, what + " is corrupt: sha256 " + actual
                        + " but the Hub announced " + remote.etag() + "; the download was discarded, run again to retry");
            }
        }
    }

    /** GET {@code remote.location()} from byte {@code offset} on, following redirects (the token stays home). */
    private HttpURLConnection get(ModelId id, RemoteFile remote, long offset) throws HubException {
        URI url = remote.location();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection connection = request(url, "GET", offset, id);
            int status = send(connection, id, url);
            if (status >= 300 && status < 400) {
                url = location(connection, url);
                connection.disconnect();
                continue;
            }
            return connection;
        }
        throw new HubException(Reason.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects downloading '" + id + "' "
                + remote.file() + " from " + withoutQuery(remote.location()));
    }

    /**
     * Opens and sends a request, sending it again (up to {@link #TRANSIENT_ATTEMPTS} times in all) while the server
     * answers with a status that means "try again": 429, 500, 502, 503, 504 — a CDN or gateway hiccup should not
     * fail a long download. Waits as long as {@code Retry-After} asks (up to a minute), else 1 s, then 2 s.
     * The returned connection has its response status ready.
     */
    private HttpURLConnection request(URI url, String method, long offset, ModelId id) throws HubException {
        for (int attempt = 1; ; attempt++) {
            HttpURLConnection connection = open(url, method, offset);
            int status = send(connection, id, url);
            if (attempt >= TRANSIENT_ATTEMPTS || !TRANSIENT_STATUSES.contains(status)) {
                return connection;
            }
            long pauseMillis = retryAfterMillis(connection.getHeaderField("Retry-After"), attempt);
            connection.disconnect();
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(Reason.UNREACHABLE, "interrupted while waiting to retry " + withoutQuery(url)
                        + " (HTTP " + status + ")", e);
            }
        }
    }

    /** The pause before the next attempt: the server's {@code Retry-After} in seconds when sane, else 1 s, 2 s, ... */
    static long retryAfterMillis(String retryAfter, int attempt) {
        if (retryAfter != null && retryAfter.strip().matches("\\d{1,5}")) {
            return Math.min(60, Long.parseLong(retryAfter.strip())) * 1000;
        }
        return 1000L * attempt;
    }

    private HttpURLConnection open(URI url, String method, long offset) throws HubException {
        try {
            HubProxy.Endpoint proxy = config.proxy().select(url);
            HttpURLConnection connection = (HttpURLConnection) (proxy == null
                    ? url.toURL().openConnection() : url.toURL().openConnection(proxy.toProxy()));
            if (proxy != null && proxy.credentials() != null) {
                connection.setAuthenticator(new ProxyCredentials(proxy.credentials()));
            }
            connection.setRequestMethod(method);
            connection.setInstanceFollowRedirects(false);
            connection.setUseCaches(false);
            connection.setConnectTimeout(millis(config.connectTimeout()));
            connection.setReadTimeout(millis(config.readTimeout()));
            connection.setRequestProperty("User-Agent", USER_AGENT);
            connection.setRequestProperty("Accept-Encoding", "identity"); // sizes and hashes are of the raw bytes
            if (offset > 0) {
                connection.setRequestProperty("Range", "bytes=" + offset + "-");
            }
            if (config.token() != null && sameOrigin(url, config.endpoint())) {
                connection.setRequestProperty("Authorization", "Bearer " + config.token());
            }
            return connection;
        } catch (IOException | IllegalArgumentException e) {
            throw new HubException(Reason.PROTOCOL, "cannot request " + withoutQuery(url) + ": " + e.getMessage(), e);
        }
    }

    /** Sends the request and returns the status, turning "no network" into one clear message. */
    private int send(HttpURLConnection connection, ModelId id, URI url) throws HubException {
        try {
            return connection.getResponseCode();
        } catch (UnknownHostException | ConnectException | NoRouteToHostException | SocketTimeoutException e) {
            connection.disconnect();
            HubProxy.Endpoint proxy = config.proxy().select(url);
            String origin = url.getScheme() + "://" + url.getRawAuthority();
            String cause = e instanceof SocketTimeoutException ? "no answer within " + seconds(
                    String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")
                            ? config.connectTimeout() : config.readTimeout())
                    : e instanceof UnknownHostException ? "unknown host " + (proxy != null ? proxy.host() : url.getHost())
                    : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (proxy != null) {
                origin += " through the proxy " + proxy + " (from the *_PROXY environment variables)";
            }
            throw new HubException(Reason.UNREACHABLE, "cannot reach " + origin + " to fetch '" + id + "' (" + cause
                    + "): you seem to be offline; set HF_HUB_OFFLINE=1 to use only models already in the Hugging"
                    + " Face cache, or pass a local model folder", e);
        } catch (IOException e) {
            connection.disconnect();
            throw new HubException(Reason.UNREACHABLE, "request to " + withoutQuery(url) + " for '" + id
                    + "' failed: " + e.getMessage(), e);
        }
    }

    /** Maps a HEAD's error status to an exception, or to "no such file" (empty) for a missing file. */
    private Optional<RemoteFile> refusal(HttpURLConnection connection, int status, ModelId id, String revision,
                                         String file, URI url) throws HubException {
        String errorCode = connection.getHeaderField("X-Error-Code");
        connection.disconnect();
        String endpoint = config.endpoint().toString();
        if ("RepositoryNotFound".equals(errorCode) && (status == 404 || status == 401)) {
            throw notFound(id);
        }
        if (status == 404 && "RevisionNotFound".equals(errorCode)) {
            throw new HubException(Reason.NOT_FOUND, "revision '" + revision + "' of model '" + id.repo()
                    + "' not found on " + endpoint + " (check the branch, tag or commit after '@')");
        }
        if (status == 404) {
            return Optional.empty(); // EntryNotFound, or a plain 404 from a simpler server
        }
        if (status == 401 || status == 403) {
            String fix = config.token() == null
                    ? "set HF_TOKEN to a token that has access"
                    : "the token in HF_TOKEN was sent but does not grant access; request access on "
                            + endpoint + "/" + id.repo() + " or use another token";
            throw new HubException(Reason.ACCESS_DENIED, "model '" + id.repo() + "' on " + endpoint
                    + " refused access (HTTP " + status + ("GatedRepo".equals(errorCode) ? ", gated model" : "")
                    + "): " + fix);
        }
        if (status == 429) {
            throw new HubException(Reason.ACCESS_DENIED, endpoint + " is rate limiting requests (HTTP 429) for '" + id
                    + "'; wait a minute, or set HF_TOKEN (authenticated requests get higher limits)");
        }
        throw new HubException(Reason.PROTOCOL, "HTTP " + status + " from " + withoutQuery(url) + " for '" + id
                + "' " + file);
    }

    HubException notFound(ModelId id) {
        return new HubException(Reason.NOT_FOUND, "model '" + id.repo() + "' not found on " + config.endpoint()
                + " (check the name, or set HF_TOKEN for a private/gated model)");
    }

    private RemoteFile describe(HttpURLConnection connection, ModelId id, String file, URI location,
                                boolean redirect) throws HubException {
        String commit = connection.getHeaderField("X-Repo-Commit");
        String linkedEtag = connection.getHeaderField("X-Linked-Etag");
        String etag = normalizeEtag(linkedEtag != null ? linkedEtag : connection.getHeaderField("ETag"));
        String linkedSize = connection.getHeaderField("X-Linked-Size");
        // A redirect's Content-Length is that of its own (empty) body, not the file's.
        long size = linkedSize != null ? parseSize(linkedSize) : redirect ? -1 : connection.getContentLengthLong();
        String where = config.endpoint() + " (for '" + id + "' " + file + ")";
        if (commit == null || !ModelId.isCommitHash(commit.strip())) {
            throw new HubException(Reason.PROTOCOL, where + " sent no valid X-Repo-Commit header ('" + commit
                    + "'); is HF_ENDPOINT a Hugging Face Hub?");
        }
        if (etag == null || !SAFE_ETAG.matcher(etag).matches()) {
            throw new HubException(Reason.PROTOCOL, where + " sent no usable ETag ('" + etag
                    + "'); bicross needs it to name and verify the file");
        }
        return new RemoteFile(file, commit.strip(), etag, size, location);
    }

    /** {@code W/"abc"} and {@code "abc"} both name the blob {@code abc}, as in {@code huggingface_hub}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String value = etag.strip();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        return value.isEmpty() ? null : value;
    }

    private static long parseSize(String text) throws HubException {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new HubException(Reason.PROTOCOL, "X-Linked-Size '" + text + "' is not a number");
        }
    }

    private static long[] contentRange(String header) {
        if (header == null) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.strip());
        if (!m.matches()) {
            return null;
        }
        long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), total};
    }

    private static URI location(HttpURLConnection connection, URI base) throws HubException {
        String location = connection.getHeaderField("Location");
        if (location == null) {
            throw new HubException(Reason.PROTOCOL, "redirect without a Location header from " + withoutQuery(base));
        }
        try {
            return base.resolve(new URI(location));
        } catch (URISyntaxException e) {
            throw new HubException(Reason.PROTOCOL, "malformed redirect Location '" + withoutQuery(location)
                    + "' from " + withoutQuery(base), e);
        }
    }

    /** Redirects that stay on the Hub's host are followed on HEAD, as {@code huggingface_hub} does; others are not. */
    private static boolean sameHost(URI from, URI to) {
        return from.getHost() != null && from.getHost().equalsIgnoreCase(to.getHost());
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** Signed CDN URLs carry credentials in their query: never print it. */
    static String withoutQuery(Object url) {
        String text = url.toString();
        int q = text.indexOf('?');
        return q < 0 ? text : text.substring(0, q);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String seconds(java.time.Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static int millis(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, duration.toMillis()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    private static void digestAll(InputStream in, MessageDigest digest) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            digest.update(buffer, 0, n);
        }
    }

    /** Answers the proxy's request for credentials, and only the proxy's. */
    private static final class ProxyCredentials extends java.net.Authenticator {
        private final java.net.PasswordAuthentication credentials;

        ProxyCredentials(java.net.PasswordAuthentication credentials) {
            this.credentials = credentials;
        }

        @Override
        protected java.net.PasswordAuthentication getPasswordAuthentication() {
            return getRequestorType() == RequestorType.PROXY ? credentials : null;
        }
    }
}
