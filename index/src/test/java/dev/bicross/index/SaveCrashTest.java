package dev.bicross.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM ({@link Process#destroyForcibly}, i.e. SIGKILL) at random moments while it saves an index
 * over and over, then checks the file on disk: it must load, and hold exactly the contents of the last save the
 * child reported or of the one after it (finished but not yet reported). Leftover temporary files must not pile
 * up: each save deletes those of killed saves, so at most one can be present after a kill.
 *
 * <p>Each generation {@code g} of the index holds ids {@code [0, BASE + 10g)} minus the ids {@code 7j} for
 * {@code 1 <= j <= g}, each with a vector that is a pure function of its id; the child moves from {@code g} to
 * {@code g+1} by adding ten ids and deleting one, starting from whatever file it finds. More kills:
 * {@code -Dbicross.crash.kills=200}.
 */
class SaveCrashTest {

    static final int BASE = 1500;
    static final int DIM = 48;
    private static final int KILLS = Integer.getInteger("bicross.crash.kills", 8);

    @TempDir
    Path dir;

    @Test
    void hnswSaveSurvivesKills() throws Exception {
        int survived = killRepeatedly("hnsw");
        System.out.println("[crash] HNSW index: " + survived + " kills survived");
    }

    @Test
    void flatSaveSurvivesKills() throws Exception {
        int survived = killRepeatedly("flat");
        System.out.println("[crash] flat index: " + survived + " kills survived");
    }

    @Test
    void saveDeletesOnlyItsOwnTargetsLeftovers() throws Exception {
        Path file = dir.resolve("x.index");
        List<Path> leftovers = List.of(dir.resolve("x.index.123.tmp"), dir.resolve("x.index.18446744073709551615.tmp"));
        List<Path> others = List.of(dir.resolve("x.index.tmp"), dir.resolve("x.index.12a.tmp"),
                dir.resolve("y.index.123.tmp"), dir.resolve("x.index.123.tmp.bak"));
        for (Path p : leftovers) {
            Files.writeString(p, "half a file");
        }
        for (Path p : others) {
            Files.writeString(p, "not ours");
        }
        FlatIndex index = FlatIndex.create(DIM, Metric.EUCLIDEAN);
        index.add(1, vectorOf(1));
        index.save(file);
        for (Path p : leftovers) {
            assertTrue(!Files.exists(p), p + " should be deleted");
        }
        for (Path p : others) {
            assertTrue(Files.exists(p), p + " is not a leftover of x.index and must stay");
        }
        assertTrue(FlatIndex.load(file).contains(1));
    }

    private int killRepeatedly(String kind) throws Exception {
        Path file = dir.resolve(kind + ".index");
        SplittableRandom random = new SplittableRandom(kind.hashCode());
        int lastReported = -1;
        int midSave = 0;
        int midWrite = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = new ProcessBuilder(javaCommand(Child.class, kind, file.toString()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            AtomicInteger reported = new AtomicInteger(lastReported);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("saved ")) {
                            reported.set(Integer.parseInt(line.substring(6)));
                        }
                    }
                } catch (IOException ignored) {
                    // the child died: its pipe breaks
                }
            });
            // Wait until the child has saved at least once (its start-up takes a while), then kill it at a
            // random point of its save loop.
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (reported.get() == lastReported && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(child.isAlive(), "child exited early with " + (child.isAlive() ? "" : child.exitValue()));
            Thread.sleep(random.nextInt(400));
            child.destroyForcibly();
            child.waitFor();
            reader.join();
            int generation = verify(kind, file);
            int last = reported.get();
            assertTrue(generation == last || generation == last + 1, "file holds generation " + generation
                    + " but the child last reported saving " + last);
            if (generation == last + 1) {
                midSave++; // killed between the rename and the report
            }
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> temps = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
                assertTrue(temps.size() <= 1, "temporary files pile up: " + temps);
                if (!temps.isEmpty()) {
                    midWrite++; // killed while writing the temporary file
                }
            }
            lastReported = generation;
        }
        System.out.println("[crash] " + kind + ": reached generation " + lastReported + "; of " + KILLS + " kills, "
                + midWrite + " landed while a temporary file was being written, " + midSave
                + " after a rename and before its report");
        return KILLS;
    }

    /** Loads the file and checks it is exactly one generation; returns it. */
    static int verify(String kind, Path file) throws IOException {
        VectorIndex index = kind.equals("hnsw") ? HnswIndex.load(file) : FlatIndex.load(file);
        int generation = (index.size() - BASE) / 9;
        assertEquals(BASE + 9 * generation, index.size(), "size fits no generation");
        for (long id = 0; id < BASE + 10L * generation + 10; id++) {
            boolean expected = id < BASE + 10L * generation && !(id % 7 == 0 && id / 7 >= 1 && id / 7 <= generation);
            assertEquals(expected, index.contains(id), "generation " + generation + ", id " + id);
        }
        SplittableRandom random = new SplittableRandom(generation);
        for (int i = 0; i < 200; i++) {
            long id = random.nextInt(BASE + 10 * generation);
            if (index.contains(id)) {
                // Euclidean: the stored vector equals the expected one exactly iff the self distance is 0.
                List<SearchHit> hits = index.search(vectorOf(id), 1, x -> x == id);
                assertEquals(1, hits.size());
                assertEquals(0f, hits.getFirst().score(), "vector of id " + id + " in generation " + generation);
            }
        }
        if (index instanceof HnswIndex h) {
            List<String> problems = h.checkInvariants();
            assertTrue(problems.isEmpty(), "generation " + generation + ": " + IndexStressTest.head(problems));
        }
        return generation;
    }

    static float[] vectorOf(long id) {
        SplittableRandom random = new SplittableRandom(id * 0x9E3779B97F4A7C15L + 1);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** The command that runs {@code main} of {@code mainClass} in a JVM like this one (same java, class path). */
    static List<String> javaCommand(Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** The child: continues from the file's generation, saving each next one until killed. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            String kind = args[0];
            Path file = Path.of(args[1]);
            VectorIndex index;
            int generation;
            if (Files.exists(file)) {
                generation = verify(kind, file);
                index = kind.equals("hnsw") ? HnswIndex.load(file) : FlatIndex.load(file);
            } else {
                generation = 0;
                index = kind.equals("hnsw")
                        ? HnswIndex.builder(DIM, Metric.EUCLIDEAN).m(8).efConstruction(32).buildThreads(1).build()
                        : FlatIndex.create(DIM, Metric.EUCLIDEAN);
                for (long id = 0; id < BASE; id++) {
                    index.add(id, vectorOf(id));
                }
                index.save(file);
                System.out.println("saved 0");
            }
            while (true) {
                generation++;
                for (long id = BASE + 10L * (generation - 1); id < BASE + 10L * generation; id++) {
                    index.add(id, vectorOf(id));
                }
                index.delete(7L * generation);
                index.save(file);
                System.out.println("saved " + generation);
            }
        }
    }
}
