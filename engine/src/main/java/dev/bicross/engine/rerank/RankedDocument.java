package dev.bicross.engine.rerank;

/**
 * One result of {@link CrossEncoder#rank}: the document's position in the input list, its score, and its text
 * when asked for.
 *
 * @param text the document, or null when {@code rank} was asked not to return texts
 */
public record RankedDocument(int index, float score, String text) {
}
