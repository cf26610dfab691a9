package dev.bicross.tokenizer;

/**
 * One encoded text or text pair: token ids with their segment (type) ids, attention mask, token strings and
 * character offsets into the original string(s). Arrays are owned by the encoding; do not modify them.
 *
 * @param ids           vocabulary ids, special tokens included ({@code [CLS] A [SEP]} or {@code [CLS] A [SEP] B [SEP]})
 * @param typeIds       0 for the first segment (and its specials), 1 for the second
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param tokens        the vocabulary string of each id
 * @param offsets       per token {@code [start, end)} character offsets into the original text it came from;
 *                      {@code [0, 0]} for special and padding tokens
 * @param truncated     whether tokens were dropped to fit the maximum length
 */
public record Encoding(int[] ids, int[] typeIds, int[] attentionMask, String[] tokens, int[][] offsets,
                       boolean truncated) {

    /** Number of positions, padding included. */
    public int length() {
        return ids.length;
    }
}
