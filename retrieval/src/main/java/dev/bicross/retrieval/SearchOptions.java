package dev.bicross.retrieval;

/**
 * How one search runs.
 *
 * @param k          hits to return
 * @param candidates N: how many documents stage 1 (bi-encoder + index) hands to stage 2 (cross-encoder). The
 *                   latency/precision knob: the re-ranker costs one model pass per candidate. Must be ≥ k.
 * @param rerank     whether to run stage 2 (ignored when the retriever has no cross-encoder)
 */
public record SearchOptions(int k, int candidates, boolean rerank) {

    /** N when the caller does not choose. */
    public static final int DEFAULT_CANDIDATES = 100;

    public SearchOptions {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (candidates < k) {
            throw new IllegalArgumentException("candidates (N = " + candidates + ") must be at least k (" + k
                    + "): the re-ranker can only return documents it was given");
        }
    }

    /** k hits from the default {@value #DEFAULT_CANDIDATES} candidates, re-ranked. */
    public static SearchOptions top(int k) {
        return new SearchOptions(k, Math.max(k, DEFAULT_CANDIDATES), true);
    }

    public SearchOptions withCandidates(int n) {
        return new SearchOptions(k, n, rerank);
    }

    public SearchOptions withRerank(boolean on) {
        return new SearchOptions(k, candidates, on);
    }
}
