package dev.bicross.cli;

import dev.bicross.convert.DefaultModels;
import dev.bicross.convert.TestCrossEncoders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The models of the CLI tests, made once per test JVM: the default bi-encoder converted into a temporary bicross
 * cache (the {@code bicross.cache} property points there, so commands without {@code --model} find it without
 * touching {@code ~/.cache/bicross}), and a real-vocabulary cross-encoder with a seeded random head. Its scores are
 * meaningless: the tests assert plumbing (order follows scores, k and N respected), not quality.
 */
final class TestModels {

    private static Path root;
    private static Path cache;
    private static Path biEncoder;
    private static Path crossEncoder;

    private TestModels() {
    }

    /** The bicross cache holding the converted default bi-encoder (what {@code -Dbicross.cache} should name). */
    static synchronized Path cache() {
        ensure();
        return cache;
    }

    /** The converted all-MiniLM-L6-v2 folder. */
    static synchronized Path biEncoder() {
        ensure();
        return biEncoder;
    }

    /** A BertForSequenceClassification folder: MiniLM under {@code bert.} plus a head from seed 42. */
    static synchronized Path crossEncoder() {
        ensure();
        return crossEncoder;
    }

    private static void ensure() {
        if (root != null) {
            return;
        }
        try {
            Path dir = Files.createTempDirectory("bicross-cli-tests");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
            cache = dir.resolve("bicross-cache");
            System.setProperty("bicross.cache", cache.toString());
            biEncoder = DefaultModels.biEncoder(cache, line -> { });
            crossEncoder = TestCrossEncoders.write(biEncoder, TestCrossEncoders.Head.random(1, 42),
                    dir.resolve("cross-encoder"));
            root = dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the test models", e);
        }
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp folder left behind is not worth failing a test run for
        }
    }
}
