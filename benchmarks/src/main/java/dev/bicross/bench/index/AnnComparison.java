package dev.bicross.bench.index;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * Side-by-side ANN comparison in one JVM (build time, recall/latency curve, ef at recall 0.95/0.99, bytes per
 * vector). Build times are given as wall clock and as process CPU seconds; latencies are CPU time per query
 * (single-threaded) after a warm-up pass, so that other processes on a shared machine count less. The JMH
 * {@link AnnSearchBenchmark} measures queries/s at matched recall properly.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *   dev.bicross.bench.index.AnnComparison [vectors=20000 | EMBEDDINGS_DIR] [queries=200] \
 *   [libraries=bicross,lucene,jvector; bicross:2 builds on two threads]</pre>
 * An {@code EMBEDDINGS_DIR} filled by {@link CollectionEmbeddings} replaces the synthetic corpus by real document
 * embeddings and their collections' queries (the query count argument is then ignored).
 * {@code -Dbicross.ann.rounds=N} (default 3) repeats the query set N times per latency figure.
 */
public final class AnnComparison {

    private AnnComparison() {
    }

    public static void main(String[] args) throws IOException {
        String source = args.length > 0 ? args[0] : "20000";
        int queryCount = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String[] libraries = (args.length > 2 ? args[2] : "bicross,lucene,jvector").split(",");
        long t0 = System.nanoTime();
        AnnCorpus corpus;
        if (source.matches("\\d+")) {
            corpus = new AnnCorpus(Integer.parseInt(source), 384, queryCount, 42);
            System.out.printf(Locale.ROOT, "corpus: %s x 384-d clustered synthetic, %d queries", source, queryCount);
        } else {
            corpus = AnnCorpus.fromFolder(Path.of(source)); // real embeddings with their own queries
            System.out.printf(Locale.ROOT, "corpus: %d x %d-d embeddings from %s, %d queries", corpus.vectors.length,
                    corpus.dimension, source, corpus.queries.length);
        }
        int n = corpus.vectors.length;
        System.out.printf(Locale.ROOT, ", ground truth in %.1f s; M %d, efConstruction %d; load average %.2f%n",
                (System.nanoTime() - t0) / 1e9, AnnLibrary.M, AnnLibrary.EF_CONSTRUCTION,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (String name : libraries) {
            int threads = name.startsWith("bicross") && name.contains(":") ? Integer.parseInt(name.split(":")[1]) : 1;
            AnnLibrary library = AnnLibrary.of(name.split(":")[0], threads);
            long start = System.nanoTime();
            long cpuStart = processCpuNanos();
            library.build(corpus);
            double buildSeconds = (System.nanoTime() - start) / 1e9;
            double buildCpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
            System.out.printf(Locale.ROOT, "%-12s build %.1f s wall (%.0f vectors/s), %.1f CPU-s, %.0f bytes/vector%n",
                    library.name(), buildSeconds, n / buildSeconds, buildCpuSeconds, (double) library.bytes() / n);
            if (library instanceof AnnLibrary.Bicross b) {
                // addAll ends with a connectivity repair; time one more (its walk over all links is the cost
                // every repair pays; the few searches for cut-off nodes come on top).
                int unreachable = b.index().unreachableCount();
                long repairStart = System.nanoTime();
                int linked = b.index().repairConnectivity();
                System.out.printf(Locale.ROOT, "%-12s unreachable vectors after the build: %d; a repair pass takes"
                                + " %.1f ms (linked %d)%n", library.name(), unreachable,
                        (System.nanoTime() - repairStart) / 1e6, linked);
            }
            System.out.printf(Locale.ROOT, "%-12s heap in use after the build %.2f GiB; load average %.2f%n",
                    library.name(), usedHeapGiB(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            for (int ef : new int[] {10, 20, 40, 80, 160}) {
                EfCalibration.recall(library, corpus, ef); // warm-up
                double recall = EfCalibration.recall(library, corpus, ef);
                double micros = latencyMicros(library, corpus, ef);
                System.out.printf(Locale.ROOT, "%-12s ef %4d recall@10 %.4f  %.1f us/query (CPU time);"
                                + " queries with none of their 10 found: %d%n",
                        library.name(), ef, recall, micros, queriesWithoutHits(library, corpus, ef));
            }
            for (double target : new double[] {0.95, 0.99}) {
                int ef = EfCalibration.efFor(library, corpus, target);
                double recall = EfCalibration.recall(library, corpus, ef);
                double micros = latencyMicros(library, corpus, ef);
                System.out.printf(Locale.ROOT,
                        "%-12s target %.2f: ef %d recall %.4f  %.1f us/query  %.0f q/s per CPU-second%n",
                        library.name(), target, ef, recall, micros, 1e6 / micros);
            }
        }
    }

    /**
     * Queries whose exact top 10 the search misses entirely: on clustered data, a search that never reaches the
     * query's cluster (recall then fails per query, not per neighbour).
     */
    private static int queriesWithoutHits(AnnLibrary library, AnnCorpus corpus, int ef) {
        int none = 0;
        for (int q = 0; q < corpus.queries.length; q++) {
            int[] found = library.search(corpus.queries[q], AnnCorpus.K, Math.max(ef, AnnCorpus.K));
            boolean any = false;
            for (int id : found) {
                for (int t : corpus.truth[q]) {
                    any |= t == id;
                }
            }
            none += any ? 0 : 1;
        }
        return none;
    }

    private static double usedHeapGiB() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (double) (1L << 30);
    }

    /** CPU time of the whole process (all threads, GC and JIT included). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * Mean CPU time of one single-threaded search: CPU time rather than wall clock, so that the other processes
     * sharing the machine's two cores do not count (cache and memory-bandwidth contention still does).
     */
    private static double latencyMicros(AnnLibrary library, AnnCorpus corpus, int ef) {
        // A corpus with few queries (the real collections have 158) needs more rounds for a stable mean.
        int rounds = Integer.getInteger("bicross.ann.rounds", 3);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long start = threads.getCurrentThreadCpuTime();
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            for (float[] q : corpus.queries) {
                sink += library.search(q, AnnCorpus.K, Math.max(ef, AnnCorpus.K))[0];
            }
        }
        if (sink == 42) {
            System.out.print("");
        }
        return (threads.getCurrentThreadCpuTime() - start) / 1e3 / (rounds * corpus.queries.length);
    }
}
