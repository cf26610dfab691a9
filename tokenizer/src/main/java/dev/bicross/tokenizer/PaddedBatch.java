package dev.bicross.tokenizer;

import java.util.List;

/**
 * Encodings padded to one common length, ready to be stacked into {@code (batch, sequenceLength)} tensors.
 * Padding positions carry the pad id, the pad type id, attention mask 0, the pad token and offsets {@code [0, 0]}.
 *
 * @param encodings      one encoding per input, in input order, each of length {@code sequenceLength}
 * @param sequenceLength the common length
 */
public record PaddedBatch(List<Encoding> encodings, int sequenceLength) {

    public PaddedBatch {
        encodings = List.copyOf(encodings);
    }

    /** Number of sequences. */
    public int size() {
        return encodings.size();
    }

    /** The encoding of input {@code i}. */
    public Encoding get(int i) {
        return encodings.get(i);
    }
}
