package dev.bicross.engine.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
