package dev.bicross.retrieval.eval;

import java.util.List;
import java.util.Map;

/**
 * Per-query ranking metrics as trec_eval (and so BEIR, through pytrec_eval) defines them. {@code ranking} is the
 * retrieved document ids, best first; {@code judged} maps judged document ids to grades (> 0 means relevant).
 * Unjudged documents count as not relevant.
 */
public final class RankingMetrics {

    private RankingMetrics() {
    }

    /**
     * nDCG@k with linear gains (trec_eval's {@code ndcg_cut}): DCG = Σ_{i≤k} grade_i / log2(i + 1), divided by the
     * DCG of the ideal ordering of all judged grades. 0 when the query has no relevant document.
     */
    public static double ndcg(List<String> ranking, Map<String, Integer> judged, int k) {
        requirePositive(k);
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            int grade = judged.getOrDefault(ranking.get(i), 0);
            if (grade > 0) {
                dcg += grade / log2(i + 2);
            }
        }
        int[] ideal = judged.values().stream().filter(g -> g > 0)
                .sorted((a, b) -> Integer.compare(b, a)).mapToInt(Integer::intValue).toArray();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.length); i++) {
            idcg += ideal[i] / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Reciprocal rank of the first relevant document within the top k, 0 if none (BEIR's MRR@k). */
    public static double reciprocalRank(List<String> ranking, Map<String, Integer> judged, int k) {
        requirePositive(k);
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            if (judged.getOrDefault(ranking.get(i), 0) > 0) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /** Fraction of the relevant documents found in the top k (trec_eval's {@code recall_k}). */
    public static double recall(List<String> ranking, Map<String, Integer> judged, int k) {
        requirePositive(k);
        long relevant = countRelevant(judged);
        if (relevant == 0) {
            return 0;
        }
        int found = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            if (judged.getOrDefault(ranking.get(i), 0) > 0) {
                found++;
            }
        }
        return (double) found / relevant;
    }

    /**
     * Average precision cut at k (trec_eval's {@code map_cut_k}): the sum of precision@i over the ranks i ≤ k that
     * hold a relevant document, divided by the number of relevant documents (all of them, not only those in k).
     */
    public static double averagePrecision(List<String> ranking, Map<String, Integer> judged, int k) {
        requirePositive(k);
        long relevant = countRelevant(judged);
        if (relevant == 0) {
            return 0;
        }
        double sum = 0;
        int found = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            if (judged.getOrDefault(ranking.get(i), 0) > 0) {
                found++;
                sum += (double) found / (i + 1);
            }
        }
        return sum / relevant;
    }

    private static long countRelevant(Map<String, Integer> judged) {
        return judged.values().stream().filter(g -> g > 0).count();
    }

    private static double log2(int x) {
        return Math.log(x) / Math.log(2);
    }

    private static void requirePositive(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("cut-off k must be positive, got " + k);
        }
    }
}
