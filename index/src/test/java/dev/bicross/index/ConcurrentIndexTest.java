package dev.bicross.index;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrentIndexTest {

    @Test
    void searchesDuringAddsSeeNoErrorsAndNoLostOrDuplicatedIds() throws Exception {
        int n = 6000;
        int dim = 32;
        float[][] vectors = SyntheticVectors.clustered(n, dim, 20, 0.5, 31);
        // Small initial capacity: the arrays grow several times while searches run.
        HnswIndex index = HnswIndex.builder(dim, Metric.COSINE).efConstruction(64).initialCapacity(64).build();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean adding = new AtomicBoolean(true);
        AtomicInteger searches = new AtomicInteger();
        Thread searcher = Thread.ofPlatform().start(() -> {
            float[][] qs = SyntheticVectors.clustered(50, dim, 20, 0.5, 32);
            try {
                for (int i = 0; adding.get(); i++) {
                    List<SearchHit> hits = i % 5 == 0 ? index.search(qs[i % 50], 10, 32, id -> id % 2 == 0)
                            : index.search(qs[i % 50], 10, 32);
                    Set<Long> unique = new HashSet<>();
                    for (SearchHit h : hits) {
                        if (h.id() < 0 || h.id() >= n || !unique.add(h.id())) {
                            throw new AssertionError("bad or duplicated id " + h.id() + " in " + hits);
                        }
                    }
                    searches.incrementAndGet();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        // Two adders: one batch (parallel inside), one adding singly.
        Thread single = Thread.ofPlatform().start(() -> {
            try {
                for (int i = n / 2; i < n; i++) {
                    index.add(i, vectors[i]);
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        long[] firstHalf = SyntheticVectors.ids(n / 2, 0);
        index.addAll(firstHalf, java.util.Arrays.copyOf(vectors, n / 2));
        single.join();
        adding.set(false);
        searcher.join();
        assertEquals(List.of(), List.copyOf(failures));
        assertTrue(searches.get() > 0);
        assertEquals(n, index.size());
        // Every id is findable: each vector's own nearest neighbour is itself (or an exact duplicate).
        int selfFound = 0;
        for (int i = 0; i < n; i += 7) {
            List<SearchHit> hits = index.search(vectors[i], 1, 64);
            if (hits.getFirst().id() == i) {
                selfFound++;
            }
        }
        assertTrue(selfFound >= (n / 7) * 0.99, "self-recall " + selfFound + " of " + (n / 7 + 1));
        // The exact path sees every id exactly once.
        FlatIndex oracle = FlatIndex.create(dim, Metric.COSINE);
        oracle.addAll(SyntheticVectors.ids(n, 0), vectors);
        assertEquals(oracle.search(vectors[0], n, id -> true).size(), index.search(vectors[0], n, n, id -> true).size());
    }
}
