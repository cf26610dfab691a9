package dev.bicross.bench.index;

import java.util.Locale;

/**
 * Side-by-side ANN comparison in one JVM (build time, recall/latency curve, ef at recall 0.95/0.99, bytes per
 * vector). Latencies here are plain wall-clock averages over the query set after a warm-up pass; the JMH
 * {@link AnnSearchBenchmark} measures queries/s at matched recall properly.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *   dev.bicross.bench.index.AnnComparison [vectors=20000] [queries=200] [libraries=bicross,lucene,jvector]</pre>
 */
public final class AnnComparison {

    private AnnComparison() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int queryCount = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String[] libraries = (args.length > 2 ? args[2] : "bicross,lucene,jvector").split(",");
        long t0 = System.nanoTime();
        AnnCorpus corpus = new AnnCorpus(n, 384, queryCount, 42);
        System.out.printf(Locale.ROOT, "corpus: %d x 384-d clustered synthetic, %d queries, ground truth in %.1f s%n",
                n, queryCount, (System.nanoTime() - t0) / 1e9);
        for (String name : libraries) {
            int threads = name.startsWith("bicross") && name.contains(":") ? Integer.parseInt(name.split(":")[1]) : 1;
            AnnLibrary library = AnnLibrary.of(name.split(":")[0], threads);
            long start = System.nanoTime();
            library.build(corpus);
            double buildSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "%-12s build %.1f s (%.0f vectors/s), %.0f bytes/vector%n", library.name(),
                    buildSeconds, n / buildSeconds, (double) library.bytes() / n);
            for (int ef : new int[] {10, 20, 40, 80, 160}) {
                EfCalibration.recall(library, corpus, ef); // warm-up
                double recall = EfCalibration.recall(library, corpus, ef);
                double micros = latencyMicros(library, corpus, ef);
                System.out.printf(Locale.ROOT, "%-12s ef %4d recall@10 %.4f  %.1f us/query%n", library.name(), ef,
                        recall, micros);
            }
            for (double target : new double[] {0.95, 0.99}) {
                int ef = EfCalibration.efFor(library, corpus, target);
                double recall = EfCalibration.recall(library, corpus, ef);
                double micros = latencyMicros(library, corpus, ef);
                System.out.printf(Locale.ROOT, "%-12s target %.2f: ef %d recall %.4f  %.1f us/query  %.0f q/s%n",
                        library.name(), target, ef, recall, micros, 1e6 / micros);
            }
        }
    }

    private static double latencyMicros(AnnLibrary library, AnnCorpus corpus, int ef) {
        int rounds = 3;
        long start = System.nanoTime();
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            for (float[] q : corpus.queries) {
                sink += library.search(q, AnnCorpus.K, Math.max(ef, AnnCorpus.K))[0];
            }
        }
        if (sink == 42) {
            System.out.print("");
        }
        return (System.nanoTime() - start) / 1e3 / (rounds * corpus.queries.length);
    }
}
