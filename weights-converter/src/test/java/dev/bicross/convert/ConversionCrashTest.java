package dev.bicross.convert;

import dev.bicross.engine.embed.BiEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills a child JVM (SIGKILL) at random moments while it converts the default model (all-MiniLM-L6-v2 ONNX from
 * its Maven Central jar) into the cache, then checks the cache: the model folder is either absent or complete
 * (its completion marker present), leftovers of killed conversions do not pile up, and every complete folder seen
 * holds the same bytes as the one a final, undisturbed run produces, which must load and encode.
 * More kills: {@code -Dbicross.crash.kills=50}.
 */
class ConversionCrashTest {

    private static final int KILLS = Integer.getInteger("bicross.crash.kills", 5);

    @TempDir
    Path temp;

    @Test
    void killedConversionsNeverLeaveAHalfModelUnderItsFinalName() throws Exception {
        Path jar;
        try {
            jar = DefaultModels.findBiEncoderJar();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("MiniLM jar not available: " + e.getMessage());
            return;
        }
        Path cache = temp.resolve("cache");
        Path folder = DefaultModels.modelFolder(cache, DefaultModels.BI_ENCODER_ID);
        SplittableRandom random = new SplittableRandom(5);
        List<TreeMap<String, String>> completeSeen = new ArrayList<>();
        int finishedBeforeKill = 0;
        int killedMidConversion = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Path log = temp.resolve("child-" + kill + ".log");
            Process child = new ProcessBuilder(command(jar, cache)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            waitForLine(log, "converting", child);
            Thread.sleep(random.nextInt(2500));
            child.destroyForcibly();
            child.waitFor();
            if (Files.readString(log).contains("converted ")) {
                finishedBeforeKill++;
                completeSeen.add(hashes(folder));
                OnnxConverter.deleteRecursively(cache); // start over, so the next kill lands in a conversion
                continue;
            }
            if (Files.exists(folder)) {
                assertTrue(DefaultModels.isComplete(folder), "kill " + kill + " left an incomplete " + folder);
                completeSeen.add(hashes(folder));
            } else {
                killedMidConversion++;
            }
            try (Stream<Path> siblings = Files.list(folder.getParent())) {
                List<Path> leftovers = siblings.filter(p -> p.getFileName().toString().startsWith("."))
                        .filter(Files::isDirectory).toList();
                assertTrue(leftovers.size() <= 1, "leftovers pile up: " + leftovers);
            }
        }
        Path log = temp.resolve("child-last.log");
        Process last = new ProcessBuilder(command(jar, cache)).redirectErrorStream(true).redirectOutput(log.toFile())
                .start();
        if (!last.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            last.destroyForcibly();
            fail("the last child did not finish in 5 minutes");
        }
        assertEquals(0, last.exitValue(), Files.readString(log));
        assertTrue(DefaultModels.isComplete(folder));
        TreeMap<String, String> finalHashes = hashes(folder);
        for (TreeMap<String, String> seen : completeSeen) {
            assertEquals(finalHashes, seen, "a complete folder seen after a kill differs from a clean conversion");
        }
        try (Stream<Path> siblings = Files.list(folder.getParent())) {
            List<Path> leftovers = siblings.filter(p -> p.getFileName().toString().startsWith("."))
                    .filter(Files::isDirectory).toList();
            assertEquals(List.of(), leftovers, "leftovers after a completed conversion");
        }
        float[] v = BiEncoder.load(folder).encode("a sentence to embed");
        assertEquals(384, v.length);
        for (float x : v) {
            assertTrue(Float.isFinite(x));
        }
        System.out.println("[crash] default-model conversion: " + KILLS + " kills (" + killedMidConversion
                + " mid-conversion, " + finishedBeforeKill + " after it finished), then a clean run completed");
    }

    private static List<String> command(Path jar, Path cache) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-D" + DefaultModels.JAR_PROPERTY + "=" + jar,
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), cache.toString());
    }

    private static TreeMap<String, String> hashes(Path folder) throws IOException, NoSuchAlgorithmException {
        TreeMap<String, String> hashes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(p)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        sha.update(buffer, 0, n);
                    }
                }
                hashes.put(folder.relativize(p).toString(), HexFormat.of().formatHex(sha.digest()));
            }
        }
        return hashes;
    }

    private static void waitForLine(Path log, String line, Process child) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
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

    /** The child: converts (or finds) the default bi-encoder in the given cache. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            Path folder = DefaultModels.biEncoder(Path.of(args[0]), line -> {
                System.out.println(line);
                System.out.flush();
            });
            System.out.println("converted " + folder);
        }
    }
}
