package dev.bicross.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default-model bootstrap: convert once, reuse, survive concurrency and interruption, explain a missing jar. */
class DefaultModelsTest {

    @TempDir
    Path cache;

    @Test
    void convertsOnceUnderConcurrencyThenReusesTheCache() throws Exception {
        Path expected = cache.resolve("models/sentence-transformers--all-MiniLM-L6-v2");
        // An interrupted earlier run left a partial folder and a final folder without the completion marker.
        Files.createDirectories(cache.resolve("models/.sentence-transformers--all-MiniLM-L6-v2.partial-123"));
        Files.createDirectories(expected);
        Files.writeString(expected.resolve("config.json"), "{}");

        AtomicInteger conversions = new AtomicInteger();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        DefaultModels.JarLocator locator = () -> {
            conversions.incrementAndGet();
            return MavenJars.fp32();
        };
        List<Path> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<Path>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                futures.add(pool.submit(() -> DefaultModels.ensure(expected, locator, lines::add)));
            }
            for (Future<Path> f : futures) {
                results.add(f.get());
            }
        }
        assertEquals(List.of(expected, expected), results);
        assertEquals(1, conversions.get(), "the second caller waits for the first and reuses its folder");
        assertTrue(DefaultModels.isComplete(expected));
        assertTrue(lines.stream().anyMatch(l -> l.contains("incomplete")), lines.toString());
        try (Stream<Path> s = Files.list(expected.getParent())) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).toList();
            assertEquals(List.of("sentence-transformers--all-MiniLM-L6-v2"), names, "leftovers removed");
        }

        FileTime written = Files.getLastModifiedTime(expected.resolve("model.safetensors"));
        Path again = DefaultModels.biEncoder(cache, line -> {
            throw new AssertionError("no conversion expected, got: " + line);
        });
        assertEquals(expected, again);
        assertEquals(written, Files.getLastModifiedTime(expected.resolve("model.safetensors")));
        SafetensorsFile st = SafetensorsFile.read(expected.resolve("model.safetensors"));
        assertEquals(101, st.names().size());
    }

    @Test
    void missingJarSaysWhereItLookedAndHowToFetchIt() {
        String oldJar = System.getProperty(DefaultModels.JAR_PROPERTY);
        String oldRepo = System.getProperty("maven.repo.local");
        try {
            System.setProperty(DefaultModels.JAR_PROPERTY, cache.resolve("nowhere.jar").toString());
            System.setProperty("maven.repo.local", cache.resolve("empty-m2").toString());
            var e = assertThrows(FileNotFoundException.class, () -> DefaultModels.biEncoder(cache, l -> { }));
            assertTrue(e.getMessage().contains("nowhere.jar"), e.getMessage());
            assertTrue(e.getMessage().contains("empty-m2"), e.getMessage());
            assertTrue(e.getMessage().contains("./mvnw -pl cli -am package"), e.getMessage());
            assertFalse(Files.exists(cache.resolve("models/sentence-transformers--all-MiniLM-L6-v2")));
        } finally {
            restore(DefaultModels.JAR_PROPERTY, oldJar);
            restore("maven.repo.local", oldRepo);
        }
    }

    @Test
    void findsTheJarThroughThePropertyFirst() throws IOException {
        String old = System.getProperty(DefaultModels.JAR_PROPERTY);
        try {
            Path jar = MavenJars.fp32();
            System.setProperty(DefaultModels.JAR_PROPERTY, jar.toString());
            assertEquals(jar, DefaultModels.findBiEncoderJar());
        } finally {
            restore(DefaultModels.JAR_PROPERTY, old);
        }
    }

    @Test
    void cacheRootFollowsTheProperty() {
        String old = System.getProperty("bicross.cache");
        try {
            System.setProperty("bicross.cache", cache.toString());
            assertEquals(cache, DefaultModels.cacheRoot());
            assertEquals(cache.resolve("models/sentence-transformers--all-MiniLM-L6-v2"),
                    DefaultModels.modelFolder(DefaultModels.cacheRoot(), DefaultModels.BI_ENCODER_ID));
        } finally {
            restore("bicross.cache", old);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
