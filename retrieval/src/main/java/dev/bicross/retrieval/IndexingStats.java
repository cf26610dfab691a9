package dev.bicross.retrieval;

/**
 * What one {@link Retriever#addAll} call did.
 *
 * @param documents documents added
 * @param passages  passages (chunks) embedded and indexed
 * @param tokens    word pieces embedded, [CLS] and [SEP] included
 * @param nanos     wall time
 */
public record IndexingStats(int documents, int passages, long tokens, long nanos) {

    public double documentsPerSecond() {
        return documents / Math.max(1e-9, nanos / 1e9);
    }

    public double tokensPerSecond() {
        return tokens / Math.max(1e-9, nanos / 1e9);
    }
}
