package dev.bicross.tokenizer;

/** How a pair that does not fit {@code maxLength} is shortened, as in HF tokenizers' {@code truncation.strategy}. */
public enum Truncation {
    /** Remove one token at a time from the longer of the two sequences (HF default). */
    LONGEST_FIRST,
    /** Only shorten the first sequence. */
    ONLY_FIRST,
    /** Only shorten the second sequence. */
    ONLY_SECOND
}
