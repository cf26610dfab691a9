package dev.bicross.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link TokenizerJsonReader#read(java.io.InputStream, String)}: any bytes either give a
 * configuration that builds a working tokenizer, or an {@link IOException} whose message names the source. Nothing
 * else may escape (no NullPointerException, no index error, no OutOfMemoryError).
 *
 * <p>Regression mode ({@code ./mvnw verify}) replays {@code TokenizerJsonFuzzTestInputs/}; fuzzing mode is the
 * {@code fuzz} profile (see RELIABILITY.md).
 */
class TokenizerJsonFuzzTest {

    private static final String SOURCE = "fuzz/tokenizer.json";

    @FuzzTest
    @Timeout(10)
    void tokenizerJson(byte[] bytes) {
        TokenizerConfig config;
        try {
            config = TokenizerJsonReader.read(new ByteArrayInputStream(bytes), SOURCE);
        } catch (IOException e) {
            assertNotNull(e.getMessage(), "IOException without a message");
            assertTrue(e.getMessage().startsWith(SOURCE + ":"), () -> "message does not name the file: " + e.getMessage());
            return;
        }
        BertTokenizer tokenizer = BertTokenizer.fromConfig(config);
        TokenizerInvariants.check(tokenizer, "Hello, [SEP] wörld! 日本 ##ing", null, BertTokenizer.NO_TRUNCATION);
        TokenizerInvariants.check(tokenizer, "a question", "a [MASK] document that is longer", 8);
        assertFalse(tokenizer.vocabSize() <= 0, "empty vocabulary accepted");
        for (Encoding e : tokenizer.encodeBatchPadded(java.util.List.of("a", "a longer text, with more words"),
                BertTokenizer.NO_TRUNCATION)
                .encodings()) {
            for (int id : e.ids()) {
                assertTrue(id >= 0 && id < tokenizer.vocabSize(), () -> "padded encoding holds id " + id
                        + " outside the vocabulary of " + tokenizer.vocabSize());
            }
        }
    }

    /** The committed seeds are cut down; the whole real file (700 KB, from the test class path) must pass too. */
    @Test
    void wholeMiniLmFilePasses() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            tokenizerJson(in.readAllBytes());
        }
    }
}
