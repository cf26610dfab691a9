package dev.bicross.retrieval.corpus;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Relevance judgements: for each query id, the graded relevance of judged document ids. A grade greater than zero
 * means relevant; zero means judged not relevant. Immutable.
 */
public final class Qrels {

    private final Map<String, Map<String, Integer>> judgements;

    public Qrels(Map<String, Map<String, Integer>> judgements) {
        Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
        judgements.forEach((query, docs) -> copy.put(query, Map.copyOf(docs)));
        this.judgements = java.util.Collections.unmodifiableMap(copy);
    }

    /** Judged documents of a query with their grades (empty when the query has none). */
    public Map<String, Integer> of(String queryId) {
        return judgements.getOrDefault(queryId, Map.of());
    }

    /** Ids of the queries that have at least one judgement. */
    public Set<String> queryIds() {
        return judgements.keySet();
    }

    /** Whether the query has at least one relevant (grade > 0) document. */
    public boolean hasRelevant(String queryId) {
        return of(queryId).values().stream().anyMatch(g -> g > 0);
    }
}
