package dev.bicross.engine;

import dev.bicross.engine.embed.BiEncoder;
import dev.bicross.engine.rerank.CrossEncoder;
import dev.bicross.engine.rerank.TextPair;
import dev.bicross.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many threads calling one shared {@link BiEncoder} / {@link CrossEncoder} get, bit for bit, what one thread gets.
 *
 * <p>Each "job" is a fixed list of texts and a batch size (batch composition legitimately changes which kernel
 * path a row takes, so a job is always compared with itself). The single-threaded answers are computed after a
 * warm-up: interpreted and JIT-compiled Vector API code may differ in the last bit, which is not a concurrency
 * fault. Run longer with {@code -Dbicross.stress.millis=60000}, more threads with {@code -Dbicross.stress.threads=N}.
 */
class EncoderConcurrencyTest {

    private static final long MILLIS = Long.getLong("bicross.stress.millis", 3000);
    private static final int THREADS = Integer.getInteger("bicross.stress.threads", 6);

    @TempDir
    Path tmp;

    /** A folder holding a tiny random BERT (hidden 64, 128 positions) and a 50-token vocabulary. */
    private Path model(TinyBert bert, String name, String prefix) throws IOException {
        Path folder = bert.write(tmp.resolve(name), prefix, SafetensorsWriter.Dtype.F32);
        String words = IntStream.range(0, bert.vocab - 5).mapToObj(i -> "w" + i).collect(Collectors.joining("\n"));
        Files.writeString(folder.resolve("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" + words + "\n");
        return folder;
    }

    private static String text(SplittableRandom random, int maxWords) {
        return IntStream.range(0, 1 + random.nextInt(maxWords)).mapToObj(i -> "w" + random.nextInt(45))
                .collect(Collectors.joining(" "));
    }

    @Test
    void sharedBiEncoderGivesSingleThreadedBits() throws Exception {
        Path dir = model(new TinyBert(5, 64, 4, 128, 2, 50, 128, 2, 0), "bi", "");
        BiEncoder encoder = BiEncoder.load(dir);
        SplittableRandom random = new SplittableRandom(17);
        List<List<String>> jobs = new ArrayList<>();
        int[] batchSizes = new int[12];
        for (int j = 0; j < batchSizes.length; j++) {
            jobs.add(IntStream.range(0, 1 + random.nextInt(12)).mapToObj(i -> text(random, 140)).toList());
            batchSizes[j] = 1 + random.nextInt(9);
        }
        long calls = compare(jobs.size(), j -> flatten(encoder.encode(jobs.get(j), batchSizes[j])));
        System.out.println("[stress] BiEncoder: " + calls + " concurrent encode calls on " + THREADS
                + " threads, each bitwise equal to a single-threaded answer");
    }

    @Test
    void sharedCrossEncoderGivesSingleThreadedBits() throws Exception {
        Path dir = model(new TinyBert(6, 64, 4, 128, 2, 50, 128, 2, 1), "cross", "bert.");
        CrossEncoder encoder = CrossEncoder.load(dir);
        SplittableRandom random = new SplittableRandom(18);
        List<List<TextPair>> jobs = new ArrayList<>();
        int[] batchSizes = new int[12];
        for (int j = 0; j < batchSizes.length; j++) {
            jobs.add(IntStream.range(0, 1 + random.nextInt(12))
                    .mapToObj(i -> new TextPair(text(random, 16), text(random, 100))).toList());
            batchSizes[j] = 1 + random.nextInt(9);
        }
        long calls = compare(jobs.size(), j -> encoder.predict(jobs.get(j), batchSizes[j]));
        System.out.println("[stress] CrossEncoder: " + calls + " concurrent predict calls on " + THREADS
                + " threads, each bitwise equal to a single-threaded answer");
    }

    private static float[] flatten(List<float[]> vectors) {
        int dimension = vectors.getFirst().length;
        float[] all = new float[vectors.size() * dimension];
        for (int i = 0; i < vectors.size(); i++) {
            System.arraycopy(vectors.get(i), 0, all, i * dimension, dimension);
        }
        return all;
    }

    /** Warms up, records single-threaded answers, then runs random jobs on many threads against them. */
    private static long compare(int jobs, IntFunction<float[]> run) throws InterruptedException {
        for (int round = 0; round < 8; round++) {
            for (int j = 0; j < jobs; j++) {
                run.apply(j);
            }
        }
        float[][] expected = new float[jobs][];
        for (int j = 0; j < jobs; j++) {
            expected[j] = run.apply(j);
        }
        ConcurrentLinkedQueue<Object[]> mismatches = new ConcurrentLinkedQueue<>(); // {job, result}
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong calls = new AtomicLong();
        long deadline = System.nanoTime() + MILLIS * 1_000_000;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            SplittableRandom random = new SplittableRandom(100 + t);
            threads.add(Thread.ofPlatform().name("encoder-stress-" + t).start(() -> {
                try {
                    while (System.nanoTime() < deadline) {
                        int j = random.nextInt(jobs);
                        float[] got = run.apply(j);
                        calls.incrementAndGet();
                        if (!Arrays.equals(got, expected[j]) && mismatches.size() < 100) {
                            mismatches.add(new Object[] {j, got});
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), List.copyOf(failures));
        // A differing result is a concurrency fault unless one thread, now, computes exactly it too: then the code
        // was recompiled (or deoptimised) meanwhile, and both answers are single-threaded answers.
        List<String> faults = new ArrayList<>();
        int recompiled = 0;
        for (Object[] mismatch : mismatches) {
            int j = (Integer) mismatch[0];
            float[] got = (float[]) mismatch[1];
            if (Arrays.equals(run.apply(j), got)) {
                recompiled++;
            } else {
                faults.add("job " + j + ": " + firstDifference(expected[j], got));
            }
        }
        if (!faults.isEmpty()) {
            throw new AssertionError(faults.size() + " of " + calls.get() + " concurrent calls differ from any"
                    + " single-threaded answer, e.g. " + faults.getFirst());
        }
        if (recompiled > 0) {
            System.out.println("[stress] " + recompiled + " results changed bits with recompilation (not a fault)");
        }
        assertTrue(calls.get() > 0);
        return calls.get();
    }

    private static String firstDifference(float[] expected, float[] got) {
        if (expected.length != got.length) {
            return "length " + got.length + " instead of " + expected.length;
        }
        for (int i = 0; i < got.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(got[i])) {
                return "value " + i + " is " + got[i] + " instead of " + expected[i];
            }
        }
        return "none";
    }
}
