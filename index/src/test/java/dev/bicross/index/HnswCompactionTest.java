package dev.bicross.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HnswIndex#compact}: drops tombstones, keeps every live id and vector, searches as well, persists. */
class HnswCompactionTest {

    private static final int DIMENSION = 32;
    private static final int COUNT = 4000;

    @Test
    void compactionKeepsLiveVectorsDropsDeletedOnesAndSearchesAsWell(@TempDir Path dir) throws Exception {
        for (Metric metric : List.of(Metric.COSINE, Metric.EUCLIDEAN)) {
            float[][] data = SyntheticVectors.clustered(COUNT, DIMENSION, 12, 0.6, 31);
            long[] ids = SyntheticVectors.ids(COUNT, 1000);
            HnswIndex index = HnswIndex.builder(DIMENSION, metric).m(12).efConstruction(100).buildThreads(1).build();
            index.addAll(ids, data);
            // Delete 30% (whole runs and scattered ids, so some nodes lose every neighbour), update a few.
            SplittableRandom random = new SplittableRandom(5);
            Set<Long> deleted = new HashSet<>();
            for (int i = 0; i < COUNT; i++) {
                if (i % 1000 < 150 || random.nextDouble() < 0.18) {
                    assertTrue(index.delete(ids[i]));
                    deleted.add(ids[i]);
                }
            }
            float[][] updated = SyntheticVectors.clustered(20, DIMENSION, 12, 0.6, 32);
            for (int i = 0; i < updated.length; i++) {
                long id = ids[COUNT - 1 - 7 * i];
                if (!deleted.contains(id)) {
                    index.update(id, updated[i]);
                }
            }
            int tombstones = index.deletedCount();
            assertTrue(tombstones >= deleted.size(), metric + ": tombstones " + tombstones);

            HnswIndex compacted = index.compact();

            assertEquals(index.size(), compacted.size(), metric + ": live count");
            assertEquals(0, compacted.deletedCount(), metric + ": tombstones left");
            assertEquals(index.size(), compacted.ramBytesUsed() > 0 ? compacted.size() : -1);
            for (long id : ids) {
                assertEquals(index.contains(id), compacted.contains(id), metric + ": contains " + id);
                if (deleted.contains(id)) {
                    assertFalse(compacted.contains(id), metric + ": deleted id " + id + " came back");
                    assertNull(compacted.storedVector(id));
                } else {
                    assertArrayEquals(index.storedVector(id), compacted.storedVector(id), metric + ": vector of " + id);
                }
            }
            assertEquals(List.of(), compacted.checkInvariants(), metric + ": invariants");
            assertEquals(List.of(), compacted.unreachableIds(), metric + ": unreachable");
            assertTrue(index.compact().size() == index.size(), "the original index is unchanged and compacts again");

            // Recall against exact search over the live vectors, before and after.
            FlatIndex exact = FlatIndex.create(DIMENSION, metric);
            for (long id : ids) {
                if (index.contains(id)) {
                    exact.add(id, index.storedVector(id));
                }
            }
            float[][] queries = SyntheticVectors.clustered(300, DIMENSION, 12, 0.6, 33);
            double before = recall(index, exact, queries, 150);
            double after = recall(compacted, exact, queries, 150);
            assertTrue(after >= 0.95, metric + ": recall@10 at ef 150 after compaction " + after);
            assertTrue(after >= before - 0.01, metric + ": recall@10 " + before + " before, " + after + " after");
            for (float[] q : queries) {
                for (SearchHit hit : compacted.search(q, 10, 40)) {
                    assertFalse(deleted.contains(hit.id()), metric + ": deleted id " + hit.id() + " returned");
                }
            }

            // Round trip, and the compacted index keeps working: adds (also of a deleted id), deletes.
            Path file = dir.resolve(metric + ".hnsw");
            compacted.save(file);
            HnswIndex loaded = HnswIndex.load(file);
            assertEquals(List.of(), loaded.checkInvariants());
            for (float[] q : queries) {
                assertEquals(compacted.search(q, 10, 20), loaded.search(q, 10, 20), metric + ": loaded answers");
            }
            long reAdded = deleted.iterator().next();
            loaded.add(reAdded, data[(int) (reAdded - 1000)]);
            assertEquals(reAdded, loaded.search(data[(int) (reAdded - 1000)], 1, 40).getFirst().id());
            assertTrue(loaded.delete(ids[COUNT / 2 + 1]) || deleted.contains(ids[COUNT / 2 + 1]));
            assertEquals(List.of(), loaded.checkInvariants());
        }
    }

    @Test
    void compactingAnIndexWithEverythingOrNothingDeleted() {
        float[][] data = SyntheticVectors.clustered(300, DIMENSION, 3, 0.6, 41);
        long[] ids = SyntheticVectors.ids(300, 0);
        HnswIndex index = HnswIndex.builder(DIMENSION, Metric.EUCLIDEAN).m(6).buildThreads(1).build();
        index.addAll(ids, data);
        HnswIndex same = index.compact();
        for (float[] q : SyntheticVectors.clustered(20, DIMENSION, 3, 0.6, 42)) {
            assertEquals(index.search(q, 5, 30), same.search(q, 5, 30), "nothing deleted: same graph, same answers");
        }
        for (long id : ids) {
            index.delete(id);
        }
        HnswIndex empty = index.compact();
        assertEquals(0, empty.size());
        assertEquals(List.of(), empty.search(data[0], 3));
        assertEquals(List.of(), empty.checkInvariants());
        empty.add(7, data[7]);
        assertEquals(7, empty.search(data[7], 1).getFirst().id());
    }

    @Test
    void compactionGivesTheSameGraphOnOneThreadAndOnSeveral(@TempDir Path dir) throws Exception {
        float[][] data = SyntheticVectors.clustered(3000, DIMENSION, 8, 0.6, 51);
        long[] ids = SyntheticVectors.ids(3000, 0);
        HnswIndex oneThread = HnswIndex.builder(DIMENSION, Metric.COSINE).m(8).buildThreads(1).build();
        oneThread.addAll(ids, data);
        for (long id = 0; id < 3000; id += 3) {
            oneThread.delete(id);
        }
        Path file = dir.resolve("index.hnsw");
        oneThread.save(file);
        HnswIndex allThreads = HnswIndex.load(file); // a loaded index relinks on all available processors
        HnswIndex a = oneThread.compact();
        HnswIndex b = allThreads.compact();
        for (float[] q : SyntheticVectors.clustered(100, DIMENSION, 8, 0.6, 52)) {
            assertEquals(a.search(q, 10, 10), b.search(q, 10, 10));
        }
    }

    private static double recall(HnswIndex index, FlatIndex exact, float[][] queries, int ef) {
        int hits = 0;
        for (float[] q : queries) {
            Set<Long> truth = new HashSet<>();
            exact.search(q, 10).forEach(h -> truth.add(h.id()));
            for (SearchHit h : index.search(q, 10, ef)) {
                hits += truth.contains(h.id()) ? 1 : 0;
            }
        }
        return hits / (10.0 * queries.length);
    }
}
