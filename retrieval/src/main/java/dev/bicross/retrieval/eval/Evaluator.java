package dev.bicross.retrieval.eval;

import dev.bicross.retrieval.Hit;
import dev.bicross.retrieval.Progress;
import dev.bicross.retrieval.Retriever;
import dev.bicross.retrieval.SearchOptions;
import dev.bicross.retrieval.SearchResult;
import dev.bicross.retrieval.corpus.Query;
import dev.bicross.retrieval.corpus.Qrels;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs a collection's queries through a retriever, one at a time, and scores the rankings. */
public final class Evaluator {

    /** Depth of the rankings scored (Recall@100 and MAP@100 need 100). */
    public static final int DEPTH = 100;

    private Evaluator() {
    }

    /** Stage 1 alone: the bi-encoder's top {@value #DEPTH} documents. */
    public static StageReport biEncoder(Retriever retriever, List<Query> queries, Qrels qrels, Progress progress) {
        return run("bi-encoder", retriever, queries, qrels, new SearchOptions(DEPTH, DEPTH, false), progress);
    }

    /**
     * Both stages: the top {@code candidates} of stage 1 re-ranked by the cross-encoder. Rankings are N deep, so
     * with N below {@value #DEPTH} Recall@100 and MAP@100 are measured at N.
     */
    public static StageReport reranked(Retriever retriever, List<Query> queries, Qrels qrels, int candidates,
                                       Progress progress) {
        if (retriever.crossEncoder() == null) {
            throw new IllegalStateException("the retriever has no cross-encoder to re-rank with");
        }
        return run("bi-encoder + cross-encoder", retriever, queries, qrels,
                new SearchOptions(candidates, candidates, true), progress);
    }

    private static StageReport run(String stage, Retriever retriever, List<Query> queries, Qrels qrels,
                                   SearchOptions options, Progress progress) {
        if (queries.isEmpty()) {
            throw new IllegalArgumentException("no queries to evaluate");
        }
        Map<String, List<String>> rankings = new HashMap<>();
        long[] latencies = new long[queries.size()];
        long start = System.nanoTime();
        for (int i = 0; i < queries.size(); i++) {
            Query q = queries.get(i);
            long t = System.nanoTime();
            SearchResult result = retriever.search(q.text(), options);
            latencies[i] = System.nanoTime() - t;
            rankings.put(q.id(), result.hits().stream().map(Hit::document).map(d -> d.id()).toList());
            progress.update(i + 1, queries.size(), "queries");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latencies);
        // Score exactly the queries that were run, as BEIR does.
        Qrels judged = qrels.restrictTo(queries.stream().map(Query::id).toList());
        return new StageReport(stage, options.candidates(), MetricSummary.of(rankings, judged),
                queries.size() / seconds, percentile(latencies, 0.50) / 1e6, percentile(latencies, 0.95) / 1e6);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
