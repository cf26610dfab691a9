package dev.bicross.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The neighbour-selection heuristic can prune every link into a node, leaving nodes (here whole groups) that no
 * search reaches; {@link HnswIndex#repairConnectivity} must link each back while keeping the graph sound.
 */
class HnswConnectivityTest {

    private static final int DIMENSION = 24;

    /** A small M on tight clusters: measured to leave 16 (cosine) and 28 (Euclidean) of 3,000 nodes cut off. */
    private static HnswIndex unrepaired(Metric metric, float[][] data) {
        HnswIndex index = HnswIndex.builder(DIMENSION, metric).m(6).efConstruction(40).buildThreads(1).build();
        index.autoRepair = false;
        index.addAll(SyntheticVectors.ids(data.length, 0), data);
        return index;
    }

    private static float[][] data() {
        return SyntheticVectors.clustered(3000, DIMENSION, 6, 0.7, 21);
    }

    @Test
    void repairLinksEveryCutOffNodeAndKeepsTheGraphSound() {
        for (Metric metric : List.of(Metric.COSINE, Metric.EUCLIDEAN)) {
            float[][] data = data();
            HnswIndex index = unrepaired(metric, data);
            List<Long> cutOff = index.unreachableIds();
            assertTrue(cutOff.size() > 0, metric + ": the fixture must leave nodes unreachable, or this tests nothing");
            assertTrue(index.checkInvariants().isEmpty(), index.checkInvariants().toString());

            int linked = index.repairConnectivity();

            assertEquals(List.of(), index.unreachableIds(), metric + ": unreachable after repair");
            assertTrue(linked >= 1 && linked <= cutOff.size(), metric + ": linked " + linked + " for " + cutOff.size());
            List<String> problems = index.checkInvariants();
            assertTrue(problems.isEmpty(), metric + ": " + problems);
            for (long id : cutOff) {
                List<SearchHit> own = index.search(data[(int) id], 1, 200);
                assertEquals(id, own.getFirst().id(), metric + ": id " + id + " not found from its own vector");
            }
            assertEquals(0, index.repairConnectivity(), metric + ": a connected graph needs no repair");
        }
    }

    @Test
    void repairDoesNotLowerRecall() {
        float[][] data = data();
        HnswIndex index = unrepaired(Metric.EUCLIDEAN, data);
        FlatIndex exact = FlatIndex.create(DIMENSION, Metric.EUCLIDEAN);
        exact.addAll(SyntheticVectors.ids(data.length, 0), data);
        float[][] queries = SyntheticVectors.clustered(300, DIMENSION, 6, 0.7, 22);
        double before = recall(index, exact, queries);
        index.repairConnectivity();
        double after = recall(index, exact, queries);
        assertTrue(after >= before - 0.005, "recall@10 at ef 40: " + before + " before repair, " + after + " after");
    }

    private static double recall(HnswIndex index, FlatIndex exact, float[][] queries) {
        int hits = 0;
        for (float[] q : queries) {
            Set<Long> truth = new HashSet<>();
            exact.search(q, 10).forEach(h -> truth.add(h.id()));
            for (SearchHit h : index.search(q, 10, 40)) {
                hits += truth.contains(h.id()) ? 1 : 0;
            }
        }
        return hits / (10.0 * queries.length);
    }

    @Test
    void addAllAndSaveLeaveAConnectedGraph(@TempDir Path dir) throws Exception {
        float[][] data = data();
        long[] ids = SyntheticVectors.ids(data.length, 0);
        HnswIndex built = HnswIndex.builder(DIMENSION, Metric.COSINE).m(6).efConstruction(40).buildThreads(1).build();
        built.addAll(ids, data); // one batch: repaired at its end
        assertEquals(List.of(), built.unreachableIds());
        assertTrue(built.checkInvariants().isEmpty(), built.checkInvariants().toString());

        // Added one by one, repairs run only as the graph grows by an eighth; save repairs what came since.
        HnswIndex grown = HnswIndex.builder(DIMENSION, Metric.COSINE).m(6).efConstruction(40).buildThreads(1).build();
        for (int i = 0; i < data.length; i++) {
            grown.add(ids[i], data[i]);
        }
        Path file = dir.resolve("grown.hnsw");
        grown.save(file);
        assertEquals(List.of(), grown.unreachableIds());
        HnswIndex loaded = HnswIndex.load(file);
        assertEquals(List.of(), loaded.unreachableIds());
        for (float[] q : SyntheticVectors.clustered(50, DIMENSION, 6, 0.7, 23)) {
            assertEquals(grown.search(q, 10, 20), loaded.search(q, 10, 20));
        }
    }

    @Test
    void searchesRunningDuringRepairStaySound() throws Exception {
        float[][] data = data();
        HnswIndex index = unrepaired(Metric.EUCLIDEAN, data);
        assertTrue(index.unreachableCount() > 0);
        float[][] queries = SyntheticVectors.clustered(200, DIMENSION, 6, 0.7, 24);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> searchers = new ArrayList<>();
        int[] searches = new int[2];
        for (int t = 0; t < 2; t++) {
            int me = t;
            searchers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; !stop.get() || i < 200; i++) {
                        List<SearchHit> hits = index.search(queries[i % queries.length], 10, 20);
                        assertEquals(10, hits.size(), "hits");
                        assertEquals(10, hits.stream().map(SearchHit::id).distinct().count(), "distinct ids");
                        for (int j = 1; j < hits.size(); j++) {
                            assertTrue(hits.get(j - 1).score() >= hits.get(j).score(), "sorted best first");
                        }
                        searches[me]++;
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        Thread.sleep(20);
        int linked = index.repairConnectivity();
        stop.set(true);
        for (Thread s : searchers) {
            s.join();
        }
        assertEquals(List.of(), failures);
        assertTrue(linked > 0);
        assertEquals(0, index.unreachableCount());
        assertTrue(index.checkInvariants().isEmpty(), index.checkInvariants().toString());
    }
}
