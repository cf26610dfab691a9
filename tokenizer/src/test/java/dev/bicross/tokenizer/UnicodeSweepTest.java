package dev.bicross.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every code point (surrogates excluded) inside, alone and glued to a word, against HF tokenizers, for the
 * uncased MiniLM normalizer and a cased one: the sweep that produced {@link LegacyCategories}. About 40 s per
 * normalizer, so it runs on demand: {@code -Dbicross.unicodeSweep=true -Dtest=UnicodeSweepTest}.
 */
class UnicodeSweepTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, \"strip_accents\": null, \"lowercase\": true}",
            "{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, \"strip_accents\": null, \"lowercase\": false}"})
    void everyCodePointMatchesHuggingFace(String normalizer) throws IOException {
        assumeTrue(Boolean.getBoolean("bicross.unicodeSweep"),
                "skipped: the full Unicode sweep runs with -Dbicross.unicodeSweep=true");
        Path json = HfReference.minilmWithNormalizer(normalizer);
        BertTokenizer ours = BertTokenizer.fromTokenizerJson(json);
        List<String> failures = new ArrayList<>();
        int compared = 0;
        try (HuggingFaceTokenizer hf = HfReference.hf(json, 0, Truncation.LONGEST_FIRST)) {
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
        System.out.printf("unicode sweep (%s): %d code points compared, %d mismatches%n",
                normalizer.contains("\"lowercase\": true") ? "uncased" : "cased", compared, failures.size());
        assertEquals(List.of(), failures);
    }
}
