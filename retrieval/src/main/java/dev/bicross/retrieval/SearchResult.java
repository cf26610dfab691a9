package dev.bicross.retrieval;

import java.util.List;

/**
 * Hits, best first, with what each stage cost.
 *
 * @param hits         at most k hits
 * @param candidates   how many documents stage 1 handed to stage 2 (N)
 * @param encodeNanos  embedding the query
 * @param searchNanos  the index lookup and aggregation of chunks to documents
 * @param rerankNanos  cross-encoder scoring (0 when not re-ranked)
 */
public record SearchResult(List<Hit> hits, int candidates, long encodeNanos, long searchNanos, long rerankNanos) {

    /** Wall time of the whole search. */
    public long totalNanos() {
        return encodeNanos + searchNanos + rerankNanos;
    }
}
