package dev.bicross.engine.bert;

import dev.bicross.tokenizer.Encoding;

import java.util.List;

/**
 * Sequences of a batch packed back to back with no padding: row {@code seqOffsets[s] + p} is position {@code p} of
 * sequence {@code s}. This is the layout of every activation in the forward pass.
 *
 * @param tokenIds   vocabulary id per row (tokens)
 * @param typeIds    segment id per row (tokens)
 * @param seqOffsets first row of each sequence, plus the total row count at the end (sequences + 1)
 */
public record PackedBatch(int[] tokenIds, int[] typeIds, int[] seqOffsets) {

    public PackedBatch {
        if (tokenIds.length != typeIds.length) {
            throw new IllegalArgumentException("tokenIds and typeIds differ in length: "
                    + tokenIds.length + " vs " + typeIds.length);
        }
        if (seqOffsets.length < 1 || seqOffsets[0] != 0 || seqOffsets[seqOffsets.length - 1] != tokenIds.length) {
            throw new IllegalArgumentException("seqOffsets must start at 0 and end at the token count "
                    + tokenIds.length);
        }
        for (int s = 0; s + 1 < seqOffsets.length; s++) {
            if (seqOffsets[s + 1] <= seqOffsets[s]) {
                throw new IllegalArgumentException("sequence " + s + " is empty or seqOffsets decrease");
            }
        }
    }

    /**
     * Packs encodings in the given order. Only attended positions are kept; padding, if any, must be at the end of
     * an encoding (right padding, as Hugging Face tokenizers pad for BERT).
     */
    public static PackedBatch of(List<Encoding> encodings) {
        int[] offsets = new int[encodings.size() + 1];
        for (int s = 0; s < encodings.size(); s++) {
            offsets[s + 1] = offsets[s] + attendedLength(encodings.get(s), s);
        }
        int[] ids = new int[offsets[encodings.size()]];
        int[] types = new int[ids.length];
        for (int s = 0; s < encodings.size(); s++) {
            Encoding e = encodings.get(s);
            int n = offsets[s + 1] - offsets[s];
            System.arraycopy(e.ids(), 0, ids, offsets[s], n);
            System.arraycopy(e.typeIds(), 0, types, offsets[s], n);
        }
        return new PackedBatch(ids, types, offsets);
    }

    private static int attendedLength(Encoding e, int index) {
        int[] mask = e.attentionMask();
        int n = 0;
        while (n < mask.length && mask[n] != 0) {
            n++;
        }
        for (int i = n; i < mask.length; i++) {
            if (mask[i] != 0) {
                throw new IllegalArgumentException("encoding " + index + " has padding before position " + i
                        + " (only right padding is supported)");
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("encoding " + index + " has no tokens (expected at least [CLS] [SEP])");
        }
        return n;
    }

    /** Number of sequences. */
    public int sequenceCount() {
        return seqOffsets.length - 1;
    }

    /** Total number of rows (tokens) over all sequences. */
    public int tokenCount() {
        return tokenIds.length;
    }

    /** Length of sequence {@code s}. */
    public int length(int s) {
        return seqOffsets[s + 1] - seqOffsets[s];
    }
}
