package dev.bicross.bench.index;

import dev.bicross.index.FlatIndex;
import dev.bicross.index.HnswIndex;
import dev.bicross.index.Metric;
import dev.bicross.index.SearchHit;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What {@link HnswIndex#compact()} costs and keeps at scale: builds the synthetic corpus, deletes a share of it,
 * and reports recall@10 (against exact search over the live vectors) before and after compaction, the
 * compaction's wall and CPU time against the build's, and the memory per live vector.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *   dev.bicross.bench.index.CompactionProbe [vectors=100000] [deletedShare=0.2]</pre>
 * M 16; efConstruction from {@code -Dbicross.ann.efConstruction} (default 200); 100 queries.
 */
public final class CompactionProbe {

    private CompactionProbe() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        double share = args.length > 1 ? Double.parseDouble(args[1]) : 0.2;
        AnnCorpus corpus = new AnnCorpus(n, 384, 100, 42);
        HnswIndex index = HnswIndex.builder(384, Metric.DOT_PRODUCT).m(AnnLibrary.M)
                .efConstruction(AnnLibrary.EF_CONSTRUCTION).buildThreads(2).initialCapacity(n).build();
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        long wall = System.nanoTime();
        long cpu = processCpuNanos();
        index.addAll(ids, corpus.vectors);
        System.out.printf(Locale.ROOT, "build %d x 384-d (efConstruction %d): %.1f s wall, %.1f CPU-s; load %.2f%n",
                n, AnnLibrary.EF_CONSTRUCTION, (System.nanoTime() - wall) / 1e9, (processCpuNanos() - cpu) / 1e9,
                load());
        SplittableRandom random = new SplittableRandom(7);
        FlatIndex exact = FlatIndex.create(384, Metric.DOT_PRODUCT);
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < share) {
                index.delete(i);
            } else {
                exact.add(i, corpus.vectors[i]);
            }
        }
        System.out.printf(Locale.ROOT, "deleted %d (%.0f%%); %.0f bytes per live vector%n", index.deletedCount(),
                100.0 * index.deletedCount() / n, (double) index.ramBytesUsed() / index.size());
        curve("before", index, exact, corpus.queries);
        wall = System.nanoTime();
        cpu = processCpuNanos();
        HnswIndex compacted = index.compact();
        System.out.printf(Locale.ROOT, "compact: %.1f s wall, %.1f CPU-s; %d live, %d deleted, %.0f bytes per live"
                        + " vector; unreachable %d; load %.2f%n", (System.nanoTime() - wall) / 1e9,
                (processCpuNanos() - cpu) / 1e9, compacted.size(), compacted.deletedCount(),
                (double) compacted.ramBytesUsed() / compacted.size(), compacted.unreachableCount(), load());
        curve("after ", compacted, exact, corpus.queries);
    }

    private static void curve(String label, HnswIndex index, FlatIndex exact, float[][] queries) {
        StringBuilder line = new StringBuilder(label + " recall@10 at ef 10/20/40/80/160:");
        for (int ef : new int[] {10, 20, 40, 80, 160}) {
            int hits = 0;
            for (float[] q : queries) {
                Set<Long> truth = new HashSet<>();
                exact.search(q, AnnCorpus.K).forEach(h -> truth.add(h.id()));
                List<SearchHit> found = index.search(q, AnnCorpus.K, ef);
                for (SearchHit h : found) {
                    hits += truth.contains(h.id()) ? 1 : 0;
                }
            }
            line.append(String.format(Locale.ROOT, " %.3f", hits / (10.0 * queries.length)));
        }
        System.out.println(line);
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
