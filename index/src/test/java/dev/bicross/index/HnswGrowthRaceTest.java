package dev.bicross.index;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A search reads the entry point, then the graph arrays, then the vector rows, without a lock; growth can happen
 * in between. Growing copies the array of upper-level lists but shares the lists themselves, so a search holding
 * the older generation can meet links to nodes added after it (beyond its arrays, or absent from them). The
 * stress test hit this once in thousands of runs (an IndexOutOfBoundsException); here the state is staged:
 * the entry point and graph of before the growth, the rows of after.
 */
class HnswGrowthRaceTest {

    @Test
    void searchHoldingAGraphFromBeforeAGrowthSkipsLinksToLaterNodes() throws Exception {
        int dim = 8;
        float[][] vectors = SyntheticVectors.clustered(3000, dim, 5, 0.5, 3);
        HnswIndex index = HnswIndex.builder(dim, Metric.COSINE).m(4).efConstruction(32).initialCapacity(64)
                .buildThreads(1).build();
        for (int i = 0; i < 64; i++) {
            index.add(i, vectors[i]);
        }
        Field graphField = HnswIndex.class.getDeclaredField("graph");
        Field entryField = HnswIndex.class.getDeclaredField("entry");
        graphField.setAccessible(true);
        entryField.setAccessible(true);
        Object before = graphField.get(index);
        @SuppressWarnings("unchecked")
        AtomicReference<Object> entry = (AtomicReference<Object>) entryField.get(index);
        Object entryBefore = entry.get();
        for (int i = 64; i < 3000; i++) {
            index.add(i, vectors[i]); // grows 64 -> 4096 nodes; old upper lists gain links to new nodes
        }
        Object after = graphField.get(index);
        Object entryAfter = entry.get();
        graphField.set(index, before);
        entry.set(entryBefore);
        try {
            for (int q = 0; q < 3000; q += 7) {
                List<SearchHit> hits = index.search(vectors[q], 5, 16);
                assertEquals(5, hits.size(), "query " + q);
                for (SearchHit hit : hits) {
                    assertTrue(hit.id() < 64, "a node of the older generation: " + hit);
                }
            }
        } finally {
            graphField.set(index, after);
            entry.set(entryAfter);
        }
        assertTrue(index.checkInvariants().isEmpty());
    }
}
