package dev.bicross.engine.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills a child JVM (SIGKILL) at random moments while it downloads a model from a loopback Hub sending slowly,
 * then inspects the cache: every blob stored under its final name must hash to that name (its ETag), every
 * snapshot entry must hold the served bytes, a ref must hold a whole commit hash. Finally one more child, left
 * alone, must complete the download (resuming the partial file) to a folder identical to the served files.
 * More kills: {@code -Dbicross.crash.kills=100}.
 */
class DownloadCrashTest {

    private static final String REPO = "acme/crash-bert";
    private static final int KILLS = Integer.getInteger("bicross.crash.kills", 8);
    private static final int WEIGHT_BYTES = 3 << 20;

    @TempDir
    Path temp;

    private FakeHub hub;
    private Map<String, byte[]> files;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        files = FakeHub.modelFiles(WEIGHT_BYTES, 7);
        hub.commit(REPO, "main", files);
        hub.throttle(64 << 10); // ~6 MB/s: the weights take about half a second
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void killedDownloadsLeaveNoHalfFileUnderAFinalName() throws Exception {
        Path cache = temp.resolve("hf-cache");
        SplittableRandom random = new SplittableRandom(3);
        int completedBeforeKill = 0;
        int killedWithPartial = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = new ProcessBuilder(javaCommand(Child.class, hub.endpoint().toString(), cache.toString()))
                    .redirectErrorStream(true).redirectOutput(temp.resolve("child-" + kill + ".log").toFile()).start();
            waitForLine(temp.resolve("child-" + kill + ".log"), "resolving", child);
            Thread.sleep(random.nextInt(700));
            child.destroyForcibly();
            child.waitFor();
            if (Files.readString(temp.resolve("child-" + kill + ".log")).contains("resolved ")) {
                completedBeforeKill++;
                deleteRecursively(cache); // start over, so the next kill lands in a download again
                continue;
            }
            checkCache(cache);
            if (!Files.exists(cache)) {
                continue; // killed before it created the cache
            }
            try (Stream<Path> all = Files.walk(cache)) {
                if (all.anyMatch(p -> p.toString().endsWith(".incomplete"))) {
                    killedWithPartial++;
                }
            }
        }
        Process last = new ProcessBuilder(javaCommand(Child.class, hub.endpoint().toString(), cache.toString()))
                .redirectErrorStream(true).redirectOutput(temp.resolve("child-last.log").toFile()).start();
        if (!last.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            last.destroyForcibly();
            fail("the last child did not finish in 5 minutes");
        }
        assertEquals(0, last.exitValue(), Files.readString(temp.resolve("child-last.log")));
        String log = Files.readString(temp.resolve("child-last.log"));
        Path folder = Path.of(log.substring(log.indexOf("resolved ") + 9).strip());
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(folder.resolve(file.getKey())), file.getKey());
        }
        checkCache(cache);
        try (Stream<Path> all = Files.walk(cache)) {
            List<Path> leftovers = all.filter(p -> p.toString().endsWith(".incomplete") || p.toString().endsWith(".tmp"))
                    .toList();
            assertEquals(List.of(), leftovers, "partial files after a completed download");
        }
        System.out.println("[crash] model download: " + (KILLS - completedBeforeKill) + " kills mid-download survived ("
                + killedWithPartial + " left a partial weights file; "
                + completedBeforeKill + " children finished before their kill), then resumed to completion");
    }

    /** Every final name in the cache holds complete, verified content. */
    private void checkCache(Path cache) throws IOException {
        if (!Files.exists(cache)) {
            return;
        }
        try (Stream<Path> all = Files.walk(cache)) {
            for (Path p : all.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".incomplete") || name.endsWith(".tmp") || name.endsWith(".lock")
                        || Files.isDirectory(p)) {
                    continue;
                }
                Path relative = cache.relativize(p);
                if (p.getParent().getFileName().toString().equals("blobs")) {
                    byte[] content = Files.readAllBytes(p);
                    assertTrue(name.equals(FakeHub.sha256Hex(content)) || name.equals(FakeHub.gitBlobSha1(content)),
                            relative + " does not hash to its name (" + content.length + " bytes)");
                } else if (relative.toString().contains("/refs/")) {
                    assertTrue(Files.readString(p).matches("[0-9a-f]{40}"), relative + ": " + Files.readString(p));
                } else if (relative.toString().contains("/snapshots/")) {
                    String file = relative.toString().replaceFirst(".*/snapshots/[0-9a-f]+/", "");
                    byte[] expected = files.get(file);
                    if (expected == null) {
                        continue; // e.g. a marker of a file the Hub does not have
                    }
                    if (Files.exists(p)) { // a link to a blob not yet complete is not followed
                        assertArrayEquals(expected, Files.readAllBytes(p), relative.toString());
                    } else {
                        assertTrue(Files.isSymbolicLink(p), relative + " neither a file nor a link");
                        fail(relative + " links to a missing blob");
                    }
                }
            }
        }
    }

    private static void waitForLine(Path log, String line, Process child) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            if (!child.isAlive()) {
                fail("child exited " + child.exitValue() + ": " + Files.readString(log));
            }
            Thread.sleep(5);
        }
        child.destroyForcibly();
        fail("child never printed '" + line + "'");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }

    static List<String> javaCommand(Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** The child: resolves the model through the Hub into the cache, printing when it starts and ends. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            HubConfig config = new HubConfig(URI.create(args[0]), Path.of(args[1]), null, false,
                    Duration.ofSeconds(10), Duration.ofSeconds(10));
            System.out.println("resolving");
            System.out.flush();
            Path folder = new ModelResolver(config).resolve(REPO);
            System.out.println("resolved " + folder);
            System.out.flush();
        }
    }
}
