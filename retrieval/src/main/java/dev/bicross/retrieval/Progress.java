package dev.bicross.retrieval;

/** Told how long work is going: indexing a corpus, evaluating queries. Called from the working thread. */
@FunctionalInterface
public interface Progress {

    /** Ignores every report. */
    Progress NONE = (done, total, unit) -> { };

    /**
     * @param done  units finished so far
     * @param total units in all (known up front)
     * @param unit  what is counted, e.g. "docs" or "queries"
     */
    void update(long done, long total, String unit);
}
