package dev.bicross.index;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlatIndexTest {

    /** A 10×10 grid of integer points; id = 10·x + y. */
    private static FlatIndex grid() {
        FlatIndex index = FlatIndex.create(2, Metric.EUCLIDEAN);
        for (int x = 0; x < 10; x++) {
            for (int y = 0; y < 10; y++) {
                index.add(10L * x + y, new float[] {x, y});
            }
        }
        return index;
    }

    @Test
    void gridNeighboursAreTheFourAdjacentPointsAtDistanceOne() {
        List<SearchHit> hits = grid().search(new float[] {4, 6}, 5);
        assertEquals(46L, hits.getFirst().id());
        assertEquals(0f, hits.getFirst().score());
        // The four neighbours at squared distance 1, in any order; score is -1.
        assertEquals(java.util.Set.of(36L, 56L, 45L, 47L),
                java.util.Set.of(hits.get(1).id(), hits.get(2).id(), hits.get(3).id(), hits.get(4).id()));
        for (int i = 1; i < 5; i++) {
            assertEquals(-1f, hits.get(i).score());
        }
    }

    @Test
    void scoresFollowTheDocumentedConventions() {
        FlatIndex cosine = FlatIndex.create(2, Metric.COSINE);
        cosine.add(1, new float[] {3, 0});
        cosine.add(2, new float[] {0, 5});
        cosine.add(3, new float[] {-2, 0});
        List<SearchHit> hits = cosine.search(new float[] {10, 0}, 3);
        assertEquals(List.of(new SearchHit(1, 1f), new SearchHit(2, 0f), new SearchHit(3, -1f)), hits);

        FlatIndex dot = FlatIndex.create(2, Metric.DOT_PRODUCT);
        dot.add(1, new float[] {3, 0});
        dot.add(2, new float[] {1, 1});
        assertEquals(List.of(new SearchHit(1, 6f), new SearchHit(2, 2f)), dot.search(new float[] {2, 0}, 2));

        FlatIndex euclidean = FlatIndex.create(2, Metric.EUCLIDEAN);
        euclidean.add(7, new float[] {3, 4});
        assertEquals(List.of(new SearchHit(7, -25f)), euclidean.search(new float[] {0, 0}, 1));
    }

    @Test
    void filterDeleteAndUpdate() {
        FlatIndex index = grid();
        List<SearchHit> evenOnly = index.search(new float[] {4, 5}, 3, id -> id % 2 == 0);
        // (4,4) and (4,6) tie at distance 1; ties go to the earlier-added vector.
        assertEquals(List.of(44L, 46L), evenOnly.stream().limit(2).map(SearchHit::id).toList());
        assertTrue(evenOnly.stream().allMatch(h -> h.id() % 2 == 0));

        assertTrue(index.delete(45));
        assertFalse(index.delete(45));
        assertFalse(index.contains(45));
        assertEquals(99, index.size());
        assertTrue(index.search(new float[] {4, 5}, 100).stream().noneMatch(h -> h.id() == 45));

        index.update(0, new float[] {4.1f, 5});
        assertEquals(0L, index.search(new float[] {4, 5}, 1).getFirst().id());
        assertEquals(99, index.size());
        index.add(45, new float[] {4, 5});
        assertEquals(45L, index.search(new float[] {4, 5}, 1).getFirst().id());
    }

    @Test
    void parallelScanAgreesWithFilteredSerialScan() {
        // 40k vectors take the parallel path without a filter and the serial one with an accept-all filter.
        float[][] vectors = SyntheticVectors.clustered(40_000, 16, 20, 0.3, 5);
        FlatIndex index = FlatIndex.create(16, Metric.DOT_PRODUCT);
        index.addAll(SyntheticVectors.ids(vectors.length, 0), vectors);
        float[][] queries = SyntheticVectors.clustered(20, 16, 20, 0.3, 6);
        for (float[] q : queries) {
            assertEquals(index.search(q, 10, id -> true), index.search(q, 10));
        }
    }

    @Test
    void badInputIsRefusedAndLeavesTheIndexUnchanged() {
        FlatIndex index = FlatIndex.create(3, Metric.COSINE);
        index.add(1, new float[] {1, 2, 3});
        assertMessage(() -> index.add(2, new float[] {1, 2}), "dimension 2");
        assertMessage(() -> index.add(2, new float[] {1, Float.NaN, 3}), "NaN");
        assertMessage(() -> index.add(2, new float[] {1, Float.POSITIVE_INFINITY, 3}), "Infinity");
        assertMessage(() -> index.add(2, new float[] {0, 0, 0}), "zero vector");
        assertMessage(() -> index.add(1, new float[] {1, 1, 1}), "duplicate id 1");
        assertMessage(() -> index.addAll(new long[] {5, 6, 5}, new float[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}),
                "duplicate id 5");
        assertMessage(() -> index.addAll(new long[] {5, 6}, new float[][] {{1, 0, 0}, {0, 0, 0}}), "vector 1 (id 6)");
        assertMessage(() -> index.search(new float[] {1, 0, 0}, 0), "k must be positive, got 0");
        assertMessage(() -> index.search(new float[] {1, 0}, 1), "dimension 2");
        assertMessage(() -> index.update(1, new float[] {0, 0, 0}), "zero vector");
        assertEquals(1, index.size());
        assertFalse(index.contains(5));
        assertEquals(List.of(new SearchHit(1, 1f)), index.search(new float[] {1, 2, 3}, 5));
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' should mention " + expected);
    }
}
