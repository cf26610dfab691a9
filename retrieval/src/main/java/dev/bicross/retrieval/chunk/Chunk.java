package dev.bicross.retrieval.chunk;

/**
 * A piece of a document's text: characters {@code [start, end)} of the text it was cut from.
 *
 * @param tokens number of word pieces in the chunk (special tokens not counted)
 */
public record Chunk(int start, int end, String text, int tokens) {
}
