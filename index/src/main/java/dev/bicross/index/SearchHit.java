package dev.bicross.index;

/**
 * One search result: the caller's id and its similarity score (higher is more similar; see {@link Metric}
 * for what the score means under each metric).
 */
public record SearchHit(long id, float score) {
}
