package dev.bicross.retrieval.corpus;

/** A test-collection query. */
public record Query(String id, String text) {
}
