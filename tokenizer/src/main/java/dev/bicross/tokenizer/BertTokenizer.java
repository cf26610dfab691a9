package dev.bicross.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * BERT WordPiece tokenizer, exact against Hugging Face tokenizers. Immutable and thread-safe.
 * API skeleton: the implementation lands with the tokenizer issue.
 */
public final class BertTokenizer {

    private BertTokenizer() {
    }

    /** Loads {@code tokenizer.json} from a model folder, or {@code vocab.txt} with BERT defaults when absent. */
    public static BertTokenizer load(Path modelDir) throws IOException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Encodes {@code [CLS] text [SEP]}, truncating to {@code maxLength} positions (specials included). */
    public Encoding encode(String text, int maxLength) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Encodes {@code [CLS] a [SEP] b [SEP]} with type ids 0/1, {@code longest_first} truncation to {@code maxLength}. */
    public Encoding encodePair(String a, String b, int maxLength) {
        return encodePair(a, b, maxLength, Truncation.LONGEST_FIRST);
    }

    /** Encodes a pair with the given truncation strategy. */
    public Encoding encodePair(String a, String b, int maxLength, Truncation truncation) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Encodes texts independently (no padding); see {@link #encode(String, int)}. */
    public List<Encoding> encodeBatch(List<String> texts, int maxLength) {
        return texts.stream().map(t -> encode(t, maxLength)).toList();
    }

    /** Size of the vocabulary. */
    public int vocabSize() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
