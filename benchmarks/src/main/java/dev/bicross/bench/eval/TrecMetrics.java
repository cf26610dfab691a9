package dev.bicross.bench.eval;

import java.util.List;
import java.util.Map;

/**
 * nDCG@10, MRR@10 and Recall@100 written out again from the trec_eval / BEIR definitions, so the cross-check does
 * not score the reference run with the code it checks. Linear gains, ideal DCG over all judged grades, unjudged
 * documents are not relevant.
 */
final class TrecMetrics {

    private TrecMetrics() {
    }

    /** Means over the queries of {@code judgements} that have a relevant document: {nDCG@10, MRR@10, R@100}. */
    static double[] means(Map<String, List<String>> runs, Map<String, Map<String, Integer>> judgements) {
        double[] sum = new double[3];
        int n = 0;
        for (var e : judgements.entrySet()) {
            Map<String, Integer> grades = e.getValue();
            int relevant = (int) grades.values().stream().filter(g -> g > 0).count();
            if (relevant == 0) {
                continue;
            }
            List<String> run = runs.getOrDefault(e.getKey(), List.of());
            double dcg = 0;
            double rr = 0;
            int found = 0;
            for (int rank = 1; rank <= Math.min(100, run.size()); rank++) {
                int g = grades.getOrDefault(run.get(rank - 1), 0);
                if (g <= 0) {
                    continue;
                }
                found++;
                if (rank <= 10) {
                    dcg += g / (Math.log(rank + 1) / Math.log(2));
                    if (rr == 0) {
                        rr = 1.0 / rank;
                    }
                }
            }
            int[] ideal = grades.values().stream().filter(g -> g > 0).mapToInt(Integer::intValue)
                    .sorted().toArray();
            double idcg = 0;
            for (int rank = 1; rank <= Math.min(10, ideal.length); rank++) {
                idcg += ideal[ideal.length - rank] / (Math.log(rank + 1) / Math.log(2));
            }
            sum[0] += dcg / idcg;
            sum[1] += rr;
            sum[2] += (double) found / relevant;
            n++;
        }
        for (int i = 0; i < 3; i++) {
            sum[i] /= n;
        }
        return sum;
    }
}
