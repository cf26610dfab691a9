package dev.bicross.engine.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where models come from and where they are cached, read from the same environment variables as Python's
 * {@code huggingface_hub}: {@code HF_ENDPOINT}, {@code HF_HUB_CACHE} / {@code HF_HOME}, {@code HF_TOKEN},
 * {@code HF_HUB_OFFLINE}, and the timeouts {@code HF_HUB_ETAG_TIMEOUT} (connecting, default 10 s) and
 * {@code HF_HUB_DOWNLOAD_TIMEOUT} (waiting for data, default 30 s). Immutable; the {@code with...} methods return
 * modified copies.
 *
 * @param endpoint       the Hub's base URL, without a trailing slash (default {@code https://huggingface.co})
 * @param cacheDir       the hub cache folder holding {@code models--org--name} folders
 * @param token          the access token sent as {@code Authorization: Bearer} to the endpoint, or null
 * @param offline        true to never touch the network (cache and local folders only)
 * @param connectTimeout how long to wait for a TCP connection
 * @param readTimeout    how long to wait for headers or for the next bytes of a body
 * @param proxy          the proxies to connect through ({@link HubProxy#NONE} for direct connections)
 */
public record HubConfig(URI endpoint, Path cacheDir, String token, boolean offline,
                        Duration connectTimeout, Duration readTimeout, HubProxy proxy) {

    /** The public Hugging Face Hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");

    private static final Set<String> TRUE_VALUES = Set.of("1", "on", "yes", "true");

    public HubConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(proxy, "proxy");
        endpoint = normalizeEndpoint(endpoint);
        cacheDir = cacheDir.toAbsolutePath().normalize();
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // Never echo the value: it is a secret, and a bad one would otherwise surface in an HTTP library error.
            throw new IllegalArgumentException("HF_TOKEN holds characters an access token cannot have (spaces,"
                    + " line breaks or non-ASCII); check how it was set");
        }
    }

    /** A configuration with direct connections (no proxy). */
    public HubConfig(URI endpoint, Path cacheDir, String token, boolean offline,
                     Duration connectTimeout, Duration readTimeout) {
        this(endpoint, cacheDir, token, offline, connectTimeout, readTimeout, HubProxy.NONE);
    }

    /** The configuration the process environment describes. */
    public static HubConfig fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The configuration an environment describes (tests pass their own map instead of mutating the process's).
     *
     * @param env  environment variables
     * @param home the user's home folder, for the default cache location
     */
    public static HubConfig fromEnvironment(Map<String, String> env, Path home) {
        String endpoint = nonBlank(env.get("HF_ENDPOINT"));
        String token = nonBlank(env.get("HF_TOKEN"));
        if (token == null) {
            token = nonBlank(env.get("HUGGING_FACE_HUB_TOKEN"));
        }
        if (token == null) {
            token = tokenFile(env, home);
        }
        String offline = nonBlank(env.get("HF_HUB_OFFLINE"));
        return new HubConfig(
                endpoint == null ? DEFAULT_ENDPOINT : parseEndpoint(endpoint),
                defaultCacheDir(env, home),
                token,
                offline != null && TRUE_VALUES.contains(offline.toLowerCase(Locale.ROOT)),
                seconds(env, "HF_HUB_ETAG_TIMEOUT", 10),
                seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT", 30),
                HubProxy.fromEnvironment(env));
    }

    /**
     * The token {@code huggingface-cli login} stored: {@code HF_TOKEN_PATH}, else {@code token} in the
     * {@code HF_HOME} folder (default {@code ~/.cache/huggingface}); null when there is no such file.
     */
    static String tokenFile(Map<String, String> env, Path home) {
        String explicit = nonBlank(env.get("HF_TOKEN_PATH"));
        Path file = explicit != null ? expandHome(explicit, home) : hfHome(env, home).resolve("token");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            if (Files.size(file) > 4096) {
                throw new IllegalArgumentException("token file " + file + " is " + Files.size(file)
                        + " bytes; an access token is one short line");
            }
            String token = nonBlank(Files.readString(file));
            if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("token file " + file + " holds characters an access token cannot"
                        + " have (spaces, several lines or non-ASCII)");
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path hfHome(Map<String, String> env, Path home) {
        String hfHome = nonBlank(env.get("HF_HOME"));
        if (hfHome != null) {
            return expandHome(hfHome, home);
        }
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        return (xdg != null ? expandHome(xdg, home) : home.resolve(".cache")).resolve("huggingface");
    }

    /**
     * The hub cache folder: {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code XDG_CACHE_HOME/huggingface/hub},
     * else {@code ~/.cache/huggingface/hub}, in the order {@code huggingface_hub} uses.
     */
    static Path defaultCacheDir(Map<String, String> env, Path home) {
        String hubCache = nonBlank(env.get("HF_HUB_CACHE"));
        if (hubCache == null) {
            hubCache = nonBlank(env.get("HUGGINGFACE_HUB_CACHE")); // the older name, still honoured by Python
        }
        if (hubCache != null) {
            return expandHome(hubCache, home);
        }
        return hfHome(env, home).resolve("hub");
    }

    /** A copy that downloads from another endpoint (e.g. a mirror, or a local test server). */
    public HubConfig withEndpoint(URI newEndpoint) {
        return new HubConfig(newEndpoint, cacheDir, token, offline, connectTimeout, readTimeout, proxy);
    }

    /** A copy with another cache folder. */
    public HubConfig withCacheDir(Path newCacheDir) {
        return new HubConfig(endpoint, newCacheDir, token, offline, connectTimeout, readTimeout, proxy);
    }

    /** A copy with another token (null for none). */
    public HubConfig withToken(String newToken) {
        return new HubConfig(endpoint, cacheDir, newToken, offline, connectTimeout, readTimeout, proxy);
    }

    /** A copy with offline mode switched on or off. */
    public HubConfig withOffline(boolean newOffline) {
        return new HubConfig(endpoint, cacheDir, token, newOffline, connectTimeout, readTimeout, proxy);
    }

    /** A copy with other network timeouts. */
    public HubConfig withTimeouts(Duration newConnectTimeout, Duration newReadTimeout) {
        return new HubConfig(endpoint, cacheDir, token, offline, newConnectTimeout, newReadTimeout, proxy);
    }

    /** A copy that connects through other proxies. */
    public HubConfig withProxy(HubProxy newProxy) {
        return new HubConfig(endpoint, cacheDir, token, offline, connectTimeout, readTimeout, newProxy);
    }

    /** Parses an endpoint given as text (environment, command line) with a clear error for a malformed one. */
    public static URI parseEndpoint(String text) {
        try {
            return normalizeEndpoint(new URI(text.strip()));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Hub endpoint '" + text + "' is not a valid http(s) URL", e);
        }
    }

    private static URI normalizeEndpoint(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint '" + uri + "' is not a valid http(s) URL");
        }
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }

    /** A timeout in (possibly fractional) seconds from the environment, with a clear error for a bad value. */
    private static Duration seconds(Map<String, String> env, String name, long fallback) {
        String text = nonBlank(env.get(name));
        if (text == null) {
            return Duration.ofSeconds(fallback);
        }
        try {
            double value = Double.parseDouble(text);
            if (value > 0 && value < 1e7) {
                return Duration.ofMillis(Math.max(1, Math.round(value * 1000)));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + "='" + text + "' is not a positive number of seconds");
    }

    private static Path expandHome(String path, Path home) {
        if (path.equals("~")) {
            return home;
        }
        if (path.startsWith("~/")) {
            return home.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** Never prints the token itself. */
    @Override
    public String toString() {
        return "HubConfig[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
                + ", proxy=" + proxy + "]";
    }
}
