package dev.bicross.index;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Level-0 pruning remembers which links it already found diverse and skips re-comparing them. That memory may
 * only save distance computations: a one-thread build with it must give exactly the graph the full re-check
 * gives, which shows up as identical search results (ids and score bits) at a small beam.
 */
class HnswPruningTest {

    @Test
    void rememberingDiverseLinksBuildsTheSameGraphAsRecheckingThemAll() {
        for (Metric metric : List.of(Metric.COSINE, Metric.EUCLIDEAN)) {
            // Many vectors per cluster and a small M: level-0 lists fill up and get pruned over and over.
            float[][] data = SyntheticVectors.clustered(3000, 24, 6, 0.7, 21);
            long[] ids = SyntheticVectors.ids(data.length, 0);
            HnswIndex remembering = HnswIndex.builder(24, metric).m(6).efConstruction(40).buildThreads(1).build();
            HnswIndex rechecking = HnswIndex.builder(24, metric).m(6).efConstruction(40).buildThreads(1).build();
            rechecking.pruneMemory = false;
            remembering.addAll(ids, data);
            rechecking.addAll(ids, data);
            int differing = 0;
            for (float[] q : SyntheticVectors.clustered(300, 24, 6, 0.7, 22)) {
                List<SearchHit> a = remembering.search(q, 10, 10);
                List<SearchHit> b = rechecking.search(q, 10, 10);
                assertEquals(b, a, metric + ": same graph, same answers");
                differing += a.equals(remembering.search(q, 10, 40)) ? 0 : 1;
            }
            // The comparison above must be able to fail: at ef 10 the graph shape matters for many queries.
            assertTrue(differing > 0, metric + ": ef 10 answers never differ from ef 40; the test could not fail");
            assertTrue(remembering.checkInvariants().isEmpty(), remembering.checkInvariants().toString());
        }
    }
}
