package dev.bicross.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * The reference: HF tokenizers (Rust, through DJL) on the all-MiniLM-L6-v2 {@code tokenizer.json}, and the
 * comparison of its encodings with ours. HF counts offsets in code points, we in UTF-16 units: ours are
 * converted before comparing.
 */
final class HfReference {

    /** The all-MiniLM-L6-v2 tokenizer.json (a test resource from the langchain4j jar), copied to a file for DJL. */
    static final Path MINILM_JSON = copyResource("/all-minilm-l6-v2-tokenizer.json");

    private HfReference() {
    }

    static BertTokenizer ours() {
        try {
            return BertTokenizer.fromTokenizerJson(MINILM_JSON);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** HF with truncation to {@code maxLength} ({@code 0}: none) by {@code strategy}, no padding. */
    static HuggingFaceTokenizer hf(int maxLength, Truncation strategy) {
        HuggingFaceTokenizer.Builder b = HuggingFaceTokenizer.builder().optTokenizerPath(MINILM_JSON)
                .optPadding(false);
        if (maxLength <= 0) {
            b.optTruncation(false);
        } else {
            b.optTruncation(true).optMaxLength(maxLength);
            switch (strategy) {
                case ONLY_FIRST -> b.optTruncateFirstOnly();
                case ONLY_SECOND -> b.optTruncateSecondOnly();
                case LONGEST_FIRST -> { }
            }
        }
        try {
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Compares ids, type ids, tokens, offsets and the truncation flag; returns {@code null} when identical, else a
     * description of the first difference.
     */
    static String diff(ai.djl.huggingface.tokenizers.Encoding hf, Encoding ours, String a, String b) {
        long[] ids = hf.getIds();
        if (ids.length != ours.length()) {
            return "length " + ids.length + " vs ours " + ours.length() + "\n  hf:   " + Arrays.toString(hf.getTokens())
                    + "\n  ours: " + Arrays.toString(ours.tokens());
        }
        long[] types = hf.getTypeIds();
        long[] mask = hf.getAttentionMask();
        CharSpan[] spans = hf.getCharTokenSpans();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != ours.ids()[i] || types[i] != ours.typeIds()[i] || mask[i] != ours.attentionMask()[i]
                    || !hf.getTokens()[i].equals(ours.tokens()[i])) {
                return "position " + i + ": hf " + hf.getTokens()[i] + "/" + ids[i] + "/type " + types[i]
                        + " vs ours " + ours.tokens()[i] + "/" + ours.ids()[i] + "/type " + ours.typeIds()[i]
                        + "\n  hf:   " + Arrays.toString(hf.getTokens()) + "\n  ours: " + Arrays.toString(ours.tokens());
            }
            int[] o = ours.offsets()[i];
            String source = ours.typeIds()[i] == 0 || b == null ? a : b;
            int start = spans[i] == null ? 0 : spans[i].getStart();
            int end = spans[i] == null ? 0 : spans[i].getEnd();
            int ourStart = source.codePointCount(0, o[0]);
            int ourEnd = source.codePointCount(0, o[1]);
            if (start != ourStart || end != ourEnd) {
                return "offsets of position " + i + " (" + ours.tokens()[i] + "): hf [" + start + "," + end
                        + ") vs ours [" + ourStart + "," + ourEnd + ") in code points";
            }
        }
        if (hf.exceedMaxLength() != ours.truncated()) {
            return "truncated: hf " + hf.exceedMaxLength() + " vs ours " + ours.truncated();
        }
        return null;
    }

    private static Path copyResource(String name) {
        try (InputStream in = HfReference.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test class path (langchain4j MiniLM jar)");
            }
            Path file = Files.createTempFile("bicross-minilm-", "-tokenizer.json");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
