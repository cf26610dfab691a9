package dev.bicross.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every code point (surrogates excluded) inside, alone and glued to a word, against HF tokenizers: the sweep
 * that produced {@link LegacyCategories}. About 40 s, so it runs on demand:
 * {@code -Dbicross.unicodeSweep=true -Dtest=UnicodeSweepTest}.
 */
class UnicodeSweepTest {

    @Test
    void everyCodePointMatchesHuggingFace() {
        assumeTrue(Boolean.getBoolean("bicross.unicodeSweep"),
                "skipped: the full Unicode sweep runs with -Dbicross.unicodeSweep=true");
        BertTokenizer ours = HfReference.ours();
        List<String> failures = new ArrayList<>();
        int compared = 0;
        try (HuggingFaceTokenizer hf = HfReference.hf(0, Truncation.LONGEST_FIRST)) {
            List<String> chunk = new ArrayList<>();
            for (int cp = 0; cp <= Character.MAX_CODE_POINT + 1; cp++) {
                if (cp <= Character.MAX_CODE_POINT && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                    String s = Character.toString(cp);
                    chunk.add("a" + s + "b " + s + " x" + s + "Y");
                }
                if (chunk.size() == 4096 || (cp > Character.MAX_CODE_POINT && !chunk.isEmpty())) {
                    ai.djl.huggingface.tokenizers.Encoding[] expected = hf.batchEncode(chunk);
                    for (int i = 0; i < chunk.size(); i++) {
                        String text = chunk.get(i);
                        String diff = HfReference.diff(expected[i], ours.encode(text, BertTokenizer.NO_TRUNCATION),
                                text, null);
                        if (diff != null && failures.size() < 50) {
                            failures.add("U+" + Integer.toHexString(text.codePointAt(1)).toUpperCase() + ": " + diff);
                        }
                    }
                    compared += chunk.size();
                    chunk.clear();
                }
            }
        }
        System.out.printf("unicode sweep: %d code points compared, %d mismatches%n", compared, failures.size());
        assertEquals(List.of(), failures);
    }
}
