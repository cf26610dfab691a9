package dev.bicross.tokenizer;

/**
 * One encoded text or text pair: token ids with their segment (type) ids, attention mask, token strings and
 * character offsets into the original string(s). Arrays are owned by the encoding; do not modify them.
 *
 * @param ids           vocabulary ids, special tokens included ({@code [CLS] A [SEP]} or {@code [CLS] A [SEP] B [SEP]})
 * @param typeIds       0 for the first segment (and its specials), 1 for the second
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param tokens        the vocabulary string of each id
 * @param offsets       per token {@code [start, end)} offsets into the original text it came from (the first text
 *                      for type id 0, the second for type id 1), in Java {@code char}s (UTF-16 units, so that
 *                      {@code text.substring(start, end)} is the token's source); {@code [0, 0]} for special and
 *                      padding tokens. HF tokenizers count code points instead; the two differ only after a
 *                      supplementary character (emoji, rare CJK).
 * @param truncated     whether tokens were dropped to fit the maximum length
 */
public record Encoding(int[] ids, int[] typeIds, int[] attentionMask, String[] tokens, int[][] offsets,
                       boolean truncated) {

    /** Number of positions, padding included. */
    public int length() {
        return ids.length;
    }
}
