package dev.bicross.engine.hub;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where models come from and where they are cached, read from the same environment variables as Python's
 * {@code huggingface_hub}: {@code HF_ENDPOINT}, {@code HF_HUB_CACHE} / {@code HF_HOME}, {@code HF_TOKEN},
 * {@code HF_HUB_OFFLINE}. Immutable; the {@code with...} methods return modified copies.
 *
 * @param endpoint       the Hub's base URL, without a trailing slash (default {@code https://huggingface.co})
 * @param cacheDir       the hub cache folder holding {@code models--org--name} folders
 * @param token          the access token sent as {@code Authorization: Bearer} to the endpoint, or null
 * @param offline        true to never touch the network (cache and local folders only)
 * @param connectTimeout how long to wait for a TCP connection
 * @param readTimeout    how long to wait for headers or for the next bytes of a body
 */
public record HubConfig(URI endpoint, Path cacheDir, String token, boolean offline,
                        Duration connectTimeout, Duration readTimeout) {

    /** The public Hugging Face Hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");

    private static final Set<String> TRUE_VALUES = Set.of("1", "on", "yes", "true");

    public HubConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        endpoint = normalizeEndpoint(endpoint);
        cacheDir = cacheDir.toAbsolutePath().normalize();
        if (token != null && token.isBlank()) {
            token = null;
        }
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
        String offline = nonBlank(env.get("HF_HUB_OFFLINE"));
        return new HubConfig(
                endpoint == null ? DEFAULT_ENDPOINT : parseEndpoint(endpoint),
                defaultCacheDir(env, home),
                token,
                offline != null && TRUE_VALUES.contains(offline.toLowerCase(Locale.ROOT)),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30));
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
        String hfHome = nonBlank(env.get("HF_HOME"));
        if (hfHome != null) {
            return expandHome(hfHome, home).resolve("hub");
        }
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        Path cacheRoot = xdg != null ? expandHome(xdg, home) : home.resolve(".cache");
        return cacheRoot.resolve("huggingface").resolve("hub");
    }

    /** A copy that downloads from another endpoint (e.g. a mirror, or a local test server). */
    public HubConfig withEndpoint(URI newEndpoint) {
        return new HubConfig(newEndpoint, cacheDir, token, offline, connectTimeout, readTimeout);
    }

    /** A copy with another cache folder. */
    public HubConfig withCacheDir(Path newCacheDir) {
        return new HubConfig(endpoint, newCacheDir, token, offline, connectTimeout, readTimeout);
    }

    /** A copy with another token (null for none). */
    public HubConfig withToken(String newToken) {
        return new HubConfig(endpoint, cacheDir, newToken, offline, connectTimeout, readTimeout);
    }

    /** A copy with offline mode switched on or off. */
    public HubConfig withOffline(boolean newOffline) {
        return new HubConfig(endpoint, cacheDir, token, newOffline, connectTimeout, readTimeout);
    }

    /** A copy with other network timeouts. */
    public HubConfig withTimeouts(Duration newConnectTimeout, Duration newReadTimeout) {
        return new HubConfig(endpoint, cacheDir, token, offline, newConnectTimeout, newReadTimeout);
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
                + ", offline=" + offline + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "]";
    }
}
