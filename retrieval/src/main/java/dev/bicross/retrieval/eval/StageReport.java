package dev.bicross.retrieval.eval;

/**
 * The quality and speed of one retrieval stage over a test collection.
 *
 * @param stage            e.g. "bi-encoder" or "bi-encoder + cross-encoder"
 * @param candidates       N, the candidates handed to the re-ranker (for the bi-encoder stage: the depth ranked)
 * @param metrics          nDCG@10, MRR@10, Recall@100, MAP@100
 * @param queriesPerSecond queries answered per second, one at a time
 * @param p50Millis        median query latency
 * @param p95Millis        95th percentile query latency
 */
public record StageReport(String stage, int candidates, MetricSummary metrics, double queriesPerSecond,
                          double p50Millis, double p95Millis) {
}
