package dev.bicross.engine.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Environment variables mapped as {@code huggingface_hub} maps them; model ids parsed and validated. */
class HubConfigTest {

    private static final Path HOME = Path.of("/home/ada");

    @Test
    void defaultsWithAnEmptyEnvironment() {
        HubConfig config = HubConfig.fromEnvironment(Map.of(), HOME);
        assertEquals(URI.create("https://huggingface.co"), config.endpoint());
        assertEquals(Path.of("/home/ada/.cache/huggingface/hub"), config.cacheDir());
        assertNull(config.token());
        assertFalse(config.offline());
    }

    @Test
    void cacheFolderPrecedence() {
        assertEquals(Path.of("/data/hub-cache"), HubConfig.fromEnvironment(
                Map.of("HF_HUB_CACHE", "/data/hub-cache", "HF_HOME", "/data/hf"), HOME).cacheDir());
        assertEquals(Path.of("/data/hf/hub"), HubConfig.fromEnvironment(
                Map.of("HF_HOME", "/data/hf", "XDG_CACHE_HOME", "/xdg"), HOME).cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubConfig.fromEnvironment(
                Map.of("XDG_CACHE_HOME", "/xdg"), HOME).cacheDir());
        assertEquals(Path.of("/home/ada/models/hub"), HubConfig.fromEnvironment(
                Map.of("HF_HOME", "~/models"), HOME).cacheDir());
    }

    @Test
    void endpointTokenAndOffline() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", "https://mirror.example/hf/",
                "HF_TOKEN", "hf_abc", "HF_HUB_OFFLINE", "1"), HOME);
        assertEquals(URI.create("https://mirror.example/hf"), config.endpoint());
        assertEquals("hf_abc", config.token());
        assertTrue(config.offline());
        assertFalse(config.toString().contains("hf_abc"), "toString must not print the token: " + config);
        for (String yes : new String[] {"1", "true", "YES", "on"}) {
            assertTrue(HubConfig.fromEnvironment(Map.of("HF_HUB_OFFLINE", yes), HOME).offline(), yes);
        }
        for (String no : new String[] {"0", "false", "no", ""}) {
            assertFalse(HubConfig.fromEnvironment(Map.of("HF_HUB_OFFLINE", no), HOME).offline(), no);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", "ftp://x"), HOME));
        assertTrue(e.getMessage().contains("'ftp://x'"), e.getMessage());
    }

    @Test
    void malformedTokenIsRejectedWithoutEchoingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HF_TOKEN", "hf_abc\r\nX-Injected: 1"), HOME));
        assertTrue(e.getMessage().startsWith("HF_TOKEN holds characters"), e.getMessage());
        assertFalse(e.getMessage().contains("hf_abc"), e.getMessage());
    }

    @Test
    void timeoutsFromTheEnvironment() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_HUB_ETAG_TIMEOUT", "2.5",
                "HF_HUB_DOWNLOAD_TIMEOUT", "60"), HOME);
        assertEquals(java.time.Duration.ofMillis(2500), config.connectTimeout());
        assertEquals(java.time.Duration.ofSeconds(60), config.readTimeout());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "soon"), HOME));
        assertEquals("HF_HUB_DOWNLOAD_TIMEOUT='soon' is not a positive number of seconds", e.getMessage());
    }

    @Test
    void modelIdsParseAndNameTheirCacheFolder() {
        ModelId id = ModelId.parse("cross-encoder/ms-marco-MiniLM-L6-v2");
        assertEquals("cross-encoder/ms-marco-MiniLM-L6-v2", id.repo());
        assertEquals("main", id.revision());
        assertEquals("models--cross-encoder--ms-marco-MiniLM-L6-v2", id.cacheFolderName());
        assertEquals("refs/pr/3", ModelId.parse("org/name@refs/pr/3").revision());
        assertEquals("models--bert-base-uncased", ModelId.parse("bert-base-uncased").cacheFolderName());
        ModelId pinned = ModelId.parse("org/name@0123456789abcdef0123456789abcdef01234567");
        assertTrue(pinned.pinned());
        assertFalse(id.pinned());
    }

    @Test
    void badModelIdsAreRejectedByName() {
        for (String bad : new String[] {"", "a/b/c", "org/na--me", "org/..", "org/name@", "org/name@../x",
                "org/name@a b", "-org/name"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelId.parse(bad), bad);
            assertFalse(e.getMessage().isBlank());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelId.parse("a/b/c"));
        assertTrue(e.getMessage().contains("'a/b/c'"), e.getMessage());
    }

    @Test
    void etagsAreNormalizedLikeHuggingfaceHub() {
        assertEquals("abc123", HubClient.normalizeEtag("\"abc123\""));
        assertEquals("abc123", HubClient.normalizeEtag("W/\"abc123\""));
        assertEquals("abc123", HubClient.normalizeEtag("abc123"));
        assertNull(HubClient.normalizeEtag("\"\""));
    }

    @Test
    void tokenFileWrittenByLoginIsReadWhenNoVariableIsSet(@org.junit.jupiter.api.io.TempDir Path home)
            throws java.io.IOException {
        Path defaultFile = home.resolve(".cache/huggingface/token");
        java.nio.file.Files.createDirectories(defaultFile.getParent());
        java.nio.file.Files.writeString(defaultFile, "hf_fromlogin\n");
        assertEquals("hf_fromlogin", HubConfig.fromEnvironment(Map.of(), home).token());
        assertEquals("hf_env", HubConfig.fromEnvironment(Map.of("HF_TOKEN", "hf_env"), home).token(),
                "the variable wins over the file");

        Path hfHome = home.resolve("hf");
        java.nio.file.Files.createDirectories(hfHome);
        java.nio.file.Files.writeString(hfHome.resolve("token"), "hf_inhome");
        assertEquals("hf_inhome", HubConfig.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), home).token());
        Path explicit = home.resolve("secret.txt");
        java.nio.file.Files.writeString(explicit, "  hf_explicit  ");
        assertEquals("hf_explicit", HubConfig.fromEnvironment(
                Map.of("HF_TOKEN_PATH", explicit.toString(), "HF_HOME", hfHome.toString()), home).token());
        assertNull(HubConfig.fromEnvironment(Map.of("HF_TOKEN_PATH", home.resolve("none").toString()), home).token());

        java.nio.file.Files.writeString(explicit, "hf_one\nhf_two\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HF_TOKEN_PATH", explicit.toString()), home));
        assertTrue(e.getMessage().contains(explicit.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("hf_one"), "never echo a token: " + e.getMessage());
    }

    @Test
    void proxiesFromTheEnvironment() {
        HubProxy none = HubConfig.fromEnvironment(Map.of(), HOME).proxy();
        assertEquals(HubProxy.NONE, none);
        assertNull(none.select(URI.create("https://huggingface.co/x")));

        HubProxy proxy = HubConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://user:p%40ss@proxy.corp:3128",
                "http_proxy", "plain.corp", "HTTP_PROXY", "ignored.corp:1", "NO_PROXY", "localhost, .internal.corp,*.lan,mirror:8080"),
                HOME).proxy();
        HubProxy.Endpoint https = proxy.select(URI.create("https://huggingface.co/org/name/resolve/main/config.json"));
        assertEquals(new HubProxy.Endpoint("proxy.corp", 3128, "user", "p@ss"), https);
        assertFalse(https.toString().contains("p@ss"), "never print the password: " + https);
        assertEquals(new HubProxy.Endpoint("plain.corp", 80, null, null), proxy.select(URI.create("http://cdn.example/x")),
                "lower case wins, as in Python's requests; port 80 by default");
        for (String direct : new String[] {"https://localhost:8080/x", "https://hub.internal.corp/x",
                "https://internal.corp/x", "http://box.lan/x", "http://mirror/x"}) {
            assertNull(proxy.select(URI.create(direct)), direct);
        }
        assertNotNull(proxy.select(URI.create("https://notinternal.corp/x")), "suffix match is on a dot boundary");
        assertNull(HubConfig.fromEnvironment(Map.of("HTTPS_PROXY", "proxy:1", "NO_PROXY", "*"), HOME).proxy()
                .select(URI.create("https://huggingface.co/")));

        IllegalArgumentException socks = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HTTPS_PROXY", "socks5://proxy:1080"), HOME));
        assertEquals("HTTPS_PROXY uses a socks5 proxy; bicross supports HTTP proxies (http://host:port)",
                socks.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("https_proxy", "http://"), HOME));
        assertTrue(bad.getMessage().startsWith("https_proxy is not a valid proxy URL"), bad.getMessage());
    }

    @Test
    void retryPauseFollowsRetryAfter() {
        assertEquals(5000, HubClient.retryAfterMillis("5", 1));
        assertEquals(60_000, HubClient.retryAfterMillis("3600", 1), "capped at a minute");
        assertEquals(1000, HubClient.retryAfterMillis(null, 1));
        assertEquals(2000, HubClient.retryAfterMillis("Wed, 21 Oct 2026 07:28:00 GMT", 2));
    }
}
