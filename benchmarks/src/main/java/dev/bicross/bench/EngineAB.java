package dev.bicross.bench;

import dev.bicross.convert.DefaultModels;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Before/after comparison of engine builds in one JVM: each engine jar is loaded in its own class loader (with
 * this benchmark jar behind it for the dependencies), and their forward passes of all-MiniLM-L6-v2 alternate
 * call by call, so a machine whose speed drifts (other processes, a noisy VM) disturbs every build alike.
 * Reports the median wall time per call and the median of the per-pair speed ratios against the first jar.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.bicross.bench.EngineAB \
 *      SEQUENCES TOKENS PAIRS THREADS before-engine.jar after-engine.jar [more.jar …]
 * </pre>
 * A jar may carry a precision, {@code after-engine.jar@INT8}, for the encoder's linear layers (default FP32); the
 * same jar may appear twice with different precisions.
 * An engine jar is {@code engine/target/bicross-engine-*.jar} of a build (copy it aside before rebuilding). The
 * model is the default bi-encoder (converted into the cache on first use); token ids are random, every sequence
 * TOKENS long. {@code -Dbicross.ab.pauseMillis=N} sleeps N ms before every timed call, for how a build behaves
 * when calls arrive after idle time (queries in a search service) rather than back to back.
 *
 * <p>Position matters at the 1% level: one jar listed twice has read 1.014× against itself (Zen 4, 32 × 128
 * tokens, 2 threads). For small effects list the builds twice, {@code a.jar b.jar a.jar b.jar}, and compare each
 * build's two positions.
 */
public final class EngineAB {

    private EngineAB() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: EngineAB SEQUENCES TOKENS PAIRS THREADS engine-a.jar engine-b.jar [...]");
            System.exit(2);
        }
        int sequences = Integer.parseInt(args[0]);
        int tokens = Integer.parseInt(args[1]);
        int pairs = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        // "engine.jar" or "engine.jar@INT8": the precision of the encoder's linears (default FP32)
        List<String> specs = Arrays.asList(args).subList(4, args.length);
        List<Path> jars = specs.stream().map(a -> Path.of(a.contains("@") ? a.substring(0, a.lastIndexOf('@')) : a))
                .toList();
        Path modelDir = DefaultModels.biEncoder(); // converted once and cached, as the demo does
        URL self = EngineAB.class.getProtectionDomain().getCodeSource().getLocation();

        int[] ids = randomTokenIds(sequences * tokens);
        int[] offsets = equalLengthOffsets(sequences, tokens);

        int n = jars.size();
        Object[] models = new Object[n];
        Object[] batches = new Object[n];
        Method[] forward = new Method[n];
        for (int j = 0; j < n; j++) {
            if (!Files.isRegularFile(jars.get(j))) {
                throw new IllegalArgumentException(jars.get(j) + ": no such engine jar");
            }
            ClassLoader loader = new URLClassLoader(new URL[] {jars.get(j).toUri().toURL(), self},
                    ClassLoader.getPlatformClassLoader());
            Class<?> kernelsType = loader.loadClass("dev.bicross.engine.kernel.Kernels");
            Constructor<?> vectorKernels = loader.loadClass("dev.bicross.engine.kernel.VectorKernels")
                    .getConstructor(int.class);
            Class<?> modelType = loader.loadClass("dev.bicross.engine.bert.BertModel");
            String spec = specs.get(j);
            String precision = spec.contains("@") ? spec.substring(spec.lastIndexOf('@') + 1) : "FP32";
            @SuppressWarnings({"unchecked", "rawtypes"})
            Class<Enum> precisionType = (Class<Enum>) loader.loadClass("dev.bicross.engine.kernel.Precision");
            models[j] = modelType.getMethod("load", Path.class, kernelsType, precisionType)
                    .invoke(null, modelDir, vectorKernels.newInstance(threads),
                            Enum.valueOf(precisionType, precision.toUpperCase(Locale.ROOT)));
            Class<?> batchType = loader.loadClass("dev.bicross.engine.bert.PackedBatch");
            batches[j] = batchType.getConstructor(int[].class, int[].class, int[].class)
                    .newInstance(ids, new int[ids.length], offsets);
            forward[j] = modelType.getMethod("forward", batchType);
        }
        for (int warm = 0; warm < 5; warm++) {
            for (int j = 0; j < n; j++) {
                forward[j].invoke(models[j], batches[j]);
            }
        }
        long pauseMillis = Long.getLong("bicross.ab.pauseMillis", 0);
        double[][] seconds = new double[n][pairs];
        for (int p = 0; p < pairs; p++) {
            for (int step = 0; step < n; step++) {
                int j = p % 2 == 0 ? step : n - 1 - step; // alternate the order: no jar always goes first
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
                long start = System.nanoTime();
                forward[j].invoke(models[j], batches[j]);
                seconds[j][p] = (System.nanoTime() - start) / 1e9;
            }
        }
        System.out.printf(Locale.ROOT, "%d × %d tokens, %d threads, %d alternating calls per jar, %d ms pause before each; "
                        + "load average %.2f%n", sequences, tokens, threads, pairs, pauseMillis,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (int j = 0; j < n; j++) {
            double[] sorted = seconds[j].clone();
            Arrays.sort(sorted);
            double[] ratios = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                ratios[p] = seconds[0][p] / seconds[j][p];
            }
            Arrays.sort(ratios);
            double median = sorted[pairs / 2];
            System.out.printf(Locale.ROOT, "%-40s median %8.3f ms/call, %7.0f tokens/s; speed vs the first: "
                            + "median %.3f (quartiles %.3f–%.3f)%n", Path.of(specs.get(j)).getFileName(), median * 1e3,
                    ids.length / median, ratios[pairs / 2], ratios[pairs / 4], ratios[3 * pairs / 4]);
        }
    }

    /** Token ids drawn from [1000, 21000) (ordinary WordPiece tokens), seeded: the same batch in every run. */
    static int[] randomTokenIds(int count) {
        int[] ids = new int[count];
        Random random = new Random(3);
        for (int i = 0; i < count; i++) {
            ids[i] = 1000 + random.nextInt(20_000);
        }
        return ids;
    }

    /** Sequence offsets of a packed batch of {@code sequences} sequences, each {@code tokens} long. */
    static int[] equalLengthOffsets(int sequences, int tokens) {
        int[] offsets = new int[sequences + 1];
        for (int s = 0; s <= sequences; s++) {
            offsets[s] = s * tokens;
        }
        return offsets;
    }
}
