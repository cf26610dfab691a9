package dev.bicross.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every encoding must satisfy whatever the text and the tokenizer file: one entry per position in every
 * array, every id a token of the vocabulary, offsets inside the text they point into, the length within
 * {@code maxLength}. The fuzz targets call it on inputs no unit test thought of.
 */
final class TokenizerInvariants {

    private TokenizerInvariants() {
    }

    /**
     * Encodes {@code a} (and {@code b} when not null) with longest-first truncation to {@code maxLength} and checks
     * the result. The only exception allowed is an {@link IllegalArgumentException} with a message, for a
     * {@code maxLength} the template's special tokens alone exceed.
     */
    static void check(BertTokenizer tokenizer, String a, String b, int maxLength) {
        check(tokenizer, a, b, maxLength, Truncation.LONGEST_FIRST);
    }

    static void check(BertTokenizer tokenizer, String a, String b, int maxLength, Truncation strategy) {
        Encoding e;
        try {
            e = b == null ? tokenizer.encode(a, maxLength) : tokenizer.encodePair(a, b, maxLength, strategy);
        } catch (IllegalArgumentException ex) {
            assertTrue(ex.getMessage() != null && !ex.getMessage().isBlank(), "IllegalArgumentException without a message");
            assertTrue(maxLength != BertTokenizer.NO_TRUNCATION, () -> "refused without truncation: " + ex.getMessage());
            return;
        }
        int n = e.length();
        assertEquals(n, e.typeIds().length, "typeIds length");
        assertEquals(n, e.attentionMask().length, "attentionMask length");
        assertEquals(n, e.tokens().length, "tokens length");
        assertEquals(n, e.offsets().length, "offsets length");
        if (maxLength != BertTokenizer.NO_TRUNCATION) {
            assertTrue(n <= maxLength, () -> n + " positions exceed maxLength " + maxLength);
        } else {
            assertFalse(e.truncated(), "truncated although no maximum length was given");
        }
        for (int i = 0; i < n; i++) {
            int id = e.ids()[i];
            int position = i;
            assertTrue(id >= 0 && id < tokenizer.vocabSize(), () -> "id " + id + " at " + position
                    + " outside the vocabulary of " + tokenizer.vocabSize());
            assertEquals(1, e.attentionMask()[i], "attention mask of an unpadded encoding");
            int[] o = e.offsets()[i];
            String source = e.typeIds()[i] == 0 || b == null ? a : b;
            assertTrue(o.length == 2 && 0 <= o[0] && o[0] <= o[1] && o[1] <= source.length(),
                    () -> "offsets " + java.util.Arrays.toString(o) + " at " + position + " outside a text of "
                            + source.length() + " chars");
            assertTrue(e.tokens()[i] != null, "null token string");
        }
    }
}
