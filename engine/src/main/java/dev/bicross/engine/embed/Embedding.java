package dev.bicross.engine.embed;

/**
 * A text's embedding with what the encoder saw of it.
 *
 * @param vector     the pooled (and, if the model says so, L2-normalised) vector
 * @param tokenCount number of tokens encoded, [CLS] and [SEP] included
 * @param truncated  whether the text was longer than the model's max_seq_length and its tail was dropped
 */
public record Embedding(float[] vector, int tokenCount, boolean truncated) {
}
