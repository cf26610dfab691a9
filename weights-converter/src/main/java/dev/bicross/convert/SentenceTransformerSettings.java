package dev.bicross.convert;

import java.util.Locale;

/**
 * What sentence-transformers adds on top of the encoder, which an ONNX export of {@code last_hidden_state} does not
 * record: maximum sequence length, pooling and normalisation. {@link #ALL_MINILM_L6_V2} matches the Hub's
 * {@code sentence-transformers/all-MiniLM-L6-v2} (256 tokens, mean pooling, L2 normalisation).
 *
 * @param maxSeqLength longest input in tokens, written to {@code sentence_bert_config.json}
 * @param pooling      pooling mode written to {@code 1_Pooling/config.json}
 * @param normalize    whether a {@code Normalize} module follows pooling
 */
public record SentenceTransformerSettings(int maxSeqLength, Pooling pooling, boolean normalize) {

    /** sentence-transformers/all-MiniLM-L6-v2 as published on the Hub. */
    public static final SentenceTransformerSettings ALL_MINILM_L6_V2 =
            new SentenceTransformerSettings(256, Pooling.MEAN, true);

    /** Pooling modes of sentence-transformers' Pooling module. */
    public enum Pooling {
        /** Mean over attended tokens. */
        MEAN,
        /** The [CLS] token. */
        CLS,
        /** Element-wise max over attended tokens. */
        MAX;

        /** Parses {@code mean}, {@code cls} or {@code max} (case-insensitive). */
        public static Pooling parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "mean" -> MEAN;
                case "cls" -> CLS;
                case "max" -> MAX;
                default -> throw new IllegalArgumentException("unknown pooling '" + s + "' (use mean, cls or max)");
            };
        }
    }

    /** Validates the settings. */
    public SentenceTransformerSettings {
        if (maxSeqLength <= 0) {
            throw new IllegalArgumentException("max_seq_length must be positive, got " + maxSeqLength);
        }
        java.util.Objects.requireNonNull(pooling, "pooling");
    }
}
