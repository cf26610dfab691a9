package dev.bicross.retrieval.eval;

import dev.bicross.retrieval.corpus.Qrels;

import java.util.List;
import java.util.Map;

/**
 * The standard table of one run over a test collection: means over the evaluated queries of nDCG@10, MRR@10,
 * Recall@100 and MAP@100.
 */
public record MetricSummary(int queries, double ndcg10, double mrr10, double recall100, double map100) {

    /**
     * Scores a run: {@code rankings} maps each query id to its ranked document ids. Every query of {@code qrels}
     * that has a relevant document is evaluated; a query missing from the run scores 0 on every metric.
     */
    public static MetricSummary of(Map<String, List<String>> rankings, Qrels qrels) {
        int n = 0;
        double ndcg = 0, mrr = 0, recall = 0, map = 0;
        for (String query : qrels.queryIds()) {
            if (!qrels.hasRelevant(query)) {
                continue;
            }
            List<String> ranking = rankings.getOrDefault(query, List.of());
            Map<String, Integer> judged = qrels.of(query);
            n++;
            ndcg += RankingMetrics.ndcg(ranking, judged, 10);
            mrr += RankingMetrics.reciprocalRank(ranking, judged, 10);
            recall += RankingMetrics.recall(ranking, judged, 100);
            map += RankingMetrics.averagePrecision(ranking, judged, 100);
        }
        if (n == 0) {
            throw new IllegalArgumentException("the qrels judge no query as having a relevant document");
        }
        return new MetricSummary(n, ndcg / n, mrr / n, recall / n, map / n);
    }
}
