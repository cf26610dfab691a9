package dev.bicross.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzz target of the tokenizer itself: the all-MiniLM-L6-v2 tokenizer on arbitrary Unicode text, single texts and
 * pairs, untruncated or truncated to 8, 16 or 128 positions by each strategy. Checks the encoding invariants
 * ({@link TokenizerInvariants}), that a lone surrogate encodes as U+FFFD would, and that the result equals Hugging
 * Face tokenizers' (ids, type ids, tokens, offsets, truncation flag; when HF refuses a truncation, so must we).
 *
 * <p>Input layout: one control byte (bits 0-1: no truncation, 8, 16 or 128; bits 2-3: longest first, only first,
 * only second), then the first text, then for a pair a 0xFF byte and the second text. Texts are UTF-8 that may also
 * encode lone surrogates ({@link Wtf8}), so every Java string is reachable.
 */
class TokenizerInputFuzzTest {

    private static final int[] MAX_LENGTHS = {BertTokenizer.NO_TRUNCATION, 8, 16, 128};

    private static BertTokenizer ours;
    private static final Map<Truncation, HuggingFaceTokenizer[]> HF = new EnumMap<>(Truncation.class);

    @BeforeAll
    static void load() {
        ours = HfReference.ours();
        for (Truncation t : Truncation.values()) {
            HuggingFaceTokenizer[] byLength = new HuggingFaceTokenizer[MAX_LENGTHS.length];
            for (int i = 0; i < MAX_LENGTHS.length; i++) {
                byLength[i] = HfReference.hf(i == 0 ? 0 : MAX_LENGTHS[i], t);
            }
            HF.put(t, byLength);
        }
    }

    @AfterAll
    static void close() {
        HF.values().forEach(a -> {
            for (HuggingFaceTokenizer t : a) {
                t.close();
            }
        });
    }

    @FuzzTest
    @Timeout(10)
    void encode(byte[] input) {
        int control = input.length == 0 ? 0 : input[0] & 0xff;
        int choice = control & 3;
        int maxLength = MAX_LENGTHS[choice];
        Truncation strategy = Truncation.values()[((control >> 2) & 3) % 3];
        int separator = indexOf(input, (byte) 0xff);
        boolean pair = separator >= 0;
        String a = Wtf8.decode(input, Math.min(1, input.length), pair ? separator : input.length);
        String b = pair ? Wtf8.decode(input, separator + 1, input.length) : null;

        TokenizerInvariants.check(ours, a, b, maxLength, pair ? strategy : Truncation.LONGEST_FIRST);

        // Hugging Face sees valid Unicode only; a lone surrogate must encode exactly as U+FFFD does.
        String validA = replaceLoneSurrogates(a);
        String validB = b == null ? null : replaceLoneSurrogates(b);
        Encoding raw = encodeOrNull(a, b, maxLength, strategy);
        Encoding valid = encodeOrNull(validA, validB, maxLength, strategy);
        if ((raw == null) != (valid == null)) {
            fail("lone surrogates changed whether the text encodes: " + quote(a) + " / " + quote(b));
        }
        if (raw != null) {
            assertArrayEquals(valid.ids(), raw.ids(), () -> "lone surrogate is not U+FFFD in " + quote(a));
        }

        HuggingFaceTokenizer hf = HF.get(pair ? strategy : Truncation.LONGEST_FIRST)[choice];
        ai.djl.huggingface.tokenizers.Encoding expected;
        try {
            expected = validB == null ? hf.encode(validA) : hf.encode(validA, validB);
        } catch (RuntimeException hfRefused) {
            if (valid != null) {
                fail("HF refused (" + hfRefused.getMessage() + ") but we encoded " + quote(validA) + " / " + quote(validB));
            }
            return;
        }
        if (valid == null) {
            fail("we refused but HF encoded " + quote(validA) + " / " + quote(validB) + " at " + maxLength + " " + strategy);
        }
        assertNull(HfReference.diff(expected, valid, validA, validB), () -> "differs from HF on " + quote(validA)
                + " / " + quote(validB) + " at maxLength " + maxLength + " " + strategy);
    }

    private static Encoding encodeOrNull(String a, String b, int maxLength, Truncation strategy) {
        try {
            return b == null ? ours.encode(a, maxLength) : ours.encodePair(a, b, maxLength, strategy);
        } catch (IllegalArgumentException refused) {
            return null;
        }
    }

    private static int indexOf(byte[] bytes, byte value) {
        for (int i = 1; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static String replaceLoneSurrogates(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        s.chars().forEach(c -> out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.append('"').toString();
    }
}
