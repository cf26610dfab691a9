package dev.bicross.retrieval.chunk;

/**
 * How long documents are split: windows of {@code windowTokens} word pieces (special tokens not counted), each
 * overlapping the previous one by {@code overlapTokens}, so a passage cut by one window is whole in the next.
 */
public record ChunkingSettings(int windowTokens, int overlapTokens) {

    public ChunkingSettings {
        if (windowTokens < 8) {
            throw new IllegalArgumentException("chunk window must be at least 8 tokens, got " + windowTokens);
        }
        if (overlapTokens < 0 || overlapTokens >= windowTokens / 2 + 1) {
            throw new IllegalArgumentException("chunk overlap must be in [0, window/2], got " + overlapTokens
                    + " for a window of " + windowTokens);
        }
    }

    /**
     * Windows that fill the model's {@code max_seq_length} (minus [CLS] and [SEP]) with an eighth of overlap:
     * 254 tokens overlapping by 31 for all-MiniLM-L6-v2.
     */
    public static ChunkingSettings forMaxSeqLength(int maxSeqLength) {
        int window = Math.max(8, maxSeqLength - 2);
        return new ChunkingSettings(window, window / 8);
    }
}
