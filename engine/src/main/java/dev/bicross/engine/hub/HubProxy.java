package dev.bicross.engine.hub;

import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP proxies to reach the Hub through, read from the variables Python's {@code requests} (and so
 * {@code huggingface_hub}) honours: {@code HTTPS_PROXY} for https URLs, {@code HTTP_PROXY} for http URLs (either in
 * lower case too, lower case first), and {@code NO_PROXY}, a comma-separated list of hosts or domain suffixes
 * ({@code example.com} and {@code .example.com} both match {@code cdn.example.com}; {@code *} disables proxies).
 * Credentials in the proxy URL ({@code http://user:secret@proxy:3128}) are answered when the proxy asks for them;
 * for https URLs the JDK refuses Basic authentication on the tunnel unless the JVM runs with
 * {@code -Djdk.http.auth.tunneling.disabledSchemes=}.
 *
 * @param https   the proxy for https URLs, or null for a direct connection
 * @param http    the proxy for http URLs, or null for a direct connection
 * @param noProxy host names and domain suffixes reached directly, lower case
 */
public record HubProxy(Endpoint https, Endpoint http, List<String> noProxy) {

    /** Direct connections only. */
    public static final HubProxy NONE = new HubProxy(null, null, List.of());

    /**
     * One proxy server.
     *
     * @param host     the proxy's host
     * @param port     its port (default 80 when the URL has none, as curl does)
     * @param user     the user name to authenticate with, or null
     * @param password the password, or null
     */
    public record Endpoint(String host, int port, String user, String password) {

        public Endpoint {
            Objects.requireNonNull(host, "host");
        }

        Proxy toProxy() {
            return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(host, port));
        }

        PasswordAuthentication credentials() {
            return user == null ? null : new PasswordAuthentication(user,
                    (password == null ? "" : password).toCharArray());
        }

        /** Never prints the password. */
        @Override
        public String toString() {
            return (user == null ? "" : user + ":***@") + host + ":" + port;
        }
    }

    public HubProxy {
        noProxy = List.copyOf(noProxy);
    }

    /** The proxies an environment describes; {@link #NONE} when it sets none. */
    public static HubProxy fromEnvironment(Map<String, String> env) {
        return new HubProxy(
                parse(env, "https_proxy", "HTTPS_PROXY"),
                parse(env, "http_proxy", "HTTP_PROXY"),
                noProxyList(first(env, "no_proxy", "NO_PROXY")));
    }

    /** The proxy for this URL, or null to connect directly. */
    Endpoint select(URI url) {
        Endpoint proxy = "https".equalsIgnoreCase(url.getScheme()) ? https : http;
        if (proxy == null || bypasses(url.getHost())) {
            return null;
        }
        return proxy;
    }

    private boolean bypasses(String host) {
        if (host == null) {
            return true;
        }
        String name = host.toLowerCase(Locale.ROOT);
        for (String entry : noProxy) {
            if (entry.equals("*") || name.equals(entry) || name.endsWith("." + entry)) {
                return true;
            }
        }
        return false;
    }

    private static Endpoint parse(Map<String, String> env, String lower, String upper) {
        String name = env.get(lower) != null && !env.get(lower).isBlank() ? lower : upper;
        String text = env.get(name);
        if (text == null || text.isBlank()) {
            return null;
        }
        String value = text.strip();
        URI uri;
        try {
            uri = new URI(value.contains("://") ? value : "http://" + value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + " is not a valid proxy URL (expected http://host:port)", e);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            // SOCKS would need another kind of connection; say so rather than silently connect directly.
            throw new IllegalArgumentException(name + " uses a " + scheme + " proxy; bicross supports HTTP proxies"
                    + " (http://host:port)");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(name + " is not a valid proxy URL (expected http://host:port)");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        }
        return new Endpoint(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80, user, password);
    }

    private static String first(Map<String, String> env, String lower, String upper) {
        String value = env.get(lower);
        return value != null && !value.isBlank() ? value : env.get(upper);
    }

    private static List<String> noProxyList(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return Arrays.stream(text.split(","))
                .map(entry -> entry.strip().toLowerCase(Locale.ROOT))
                .map(entry -> entry.startsWith("*.") ? entry.substring(2) : entry.startsWith(".") ? entry.substring(1) : entry)
                .map(HubProxy::withoutPort)
                .filter(entry -> !entry.isEmpty())
                .toList();
    }

    /** {@code host:port} entries match the host on any port (bicross does not tell ports apart here). */
    private static String withoutPort(String entry) {
        int colon = entry.lastIndexOf(':');
        return colon > 0 && entry.indexOf(':') == colon && entry.substring(colon + 1).chars().allMatch(Character::isDigit)
                ? entry.substring(0, colon) : entry;
    }
}
