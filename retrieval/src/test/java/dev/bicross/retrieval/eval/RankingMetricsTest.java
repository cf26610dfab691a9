package dev.bicross.retrieval.eval;

import dev.bicross.retrieval.corpus.Qrels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-computed cases; the arithmetic is in the comments so each expected value can be checked on paper. */
class RankingMetricsTest {

    // d1 judged non-relevant (0), d2 grade 2, d4 grade 1, d9 grade 3 (never retrieved); d3 is unjudged.
    private static final Map<String, Integer> JUDGED = Map.of("d1", 0, "d2", 2, "d4", 1, "d9", 3);
    private static final List<String> RUN = List.of("d1", "d2", "d3", "d4");

    @Test
    void ndcgUsesLinearGainsAndTheIdealOrderOfAllJudgedGrades() {
        // DCG@3 = 2/log2(3) = 1.26186; IDCG@3 = 3/1 + 2/log2(3) + 1/log2(4) = 4.76186 → 0.264993
        assertEquals(0.26499301486112564, RankingMetrics.ndcg(RUN, JUDGED, 3), 1e-12);
        // the ideal order scores 1
        assertEquals(1.0, RankingMetrics.ndcg(List.of("d9", "d2", "d4"), JUDGED, 10), 1e-12);
        // reversed: (1 + 2/log2(3) + 3/2) / (3 + 2/log2(3) + 1/2) = 0.789998
        assertEquals(0.7899980042460358, RankingMetrics.ndcg(List.of("d4", "d2", "d9"), JUDGED, 10), 1e-12);
    }

    @Test
    void reciprocalRankIsTheFirstRelevantRankWithinTheCutOff() {
        assertEquals(0.5, RankingMetrics.reciprocalRank(RUN, JUDGED, 10), 0);
        assertEquals(0.0, RankingMetrics.reciprocalRank(RUN, JUDGED, 1), 0);
    }

    @Test
    void recallCountsRelevantFoundOverAllRelevant() {
        assertEquals(2.0 / 3, RankingMetrics.recall(RUN, JUDGED, 100), 1e-12); // d2, d4 of {d2, d4, d9}
        assertEquals(1.0 / 3, RankingMetrics.recall(RUN, JUDGED, 3), 1e-12);  // d2 only
    }

    @Test
    void averagePrecisionDividesByAllRelevantDocuments() {
        // relevant at rank 2 (precision 1/2) and rank 4 (precision 2/4); three relevant in all → (0.5 + 0.5) / 3
        assertEquals(1.0 / 3, RankingMetrics.averagePrecision(RUN, JUDGED, 100), 1e-12);
        // cut at 3: only rank 2 counts → 0.5 / 3
        assertEquals(0.5 / 3, RankingMetrics.averagePrecision(RUN, JUDGED, 3), 1e-12);
    }

    @Test
    void noRelevantDocumentsGivesZeroAndBadCutOffIsRejected() {
        Map<String, Integer> none = Map.of("d1", 0);
        assertEquals(0, RankingMetrics.ndcg(RUN, none, 10));
        assertEquals(0, RankingMetrics.recall(RUN, none, 10));
        assertThrows(IllegalArgumentException.class, () -> RankingMetrics.ndcg(RUN, JUDGED, 0));
    }

    @Test
    void summaryAveragesOverJudgedQueriesAndScoresMissingRunsAsZero() {
        Qrels qrels = new Qrels(Map.of(
                "q1", Map.of("a", 1),
                "q2", Map.of("b", 1),
                "q3", Map.of("c", 0)));          // no relevant document: not evaluated
        Map<String, List<String>> run = Map.of("q1", List.of("a", "x")); // q2 missing from the run
        MetricSummary summary = MetricSummary.of(run, qrels);
        assertEquals(2, summary.queries());
        assertEquals(0.5, summary.ndcg10(), 1e-12);   // (1 + 0) / 2
        assertEquals(0.5, summary.mrr10(), 1e-12);
        assertEquals(0.5, summary.recall100(), 1e-12);
        assertEquals(0.5, summary.map100(), 1e-12);
    }
}
