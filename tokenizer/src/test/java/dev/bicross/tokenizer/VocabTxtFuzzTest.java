package dev.bicross.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link TokenizerJsonReader#readVocabTxt(Path, Path)}: a {@code vocab.txt} and, when the input says
 * so, a {@code tokenizer_config.json} beside it. Either the pair makes a working tokenizer or an {@link IOException}
 * names the offending file; nothing else escapes.
 *
 * <p>Input layout: {@code vocab.txt}, then optionally a NUL byte and {@code tokenizer_config.json}.
 */
class VocabTxtFuzzTest {

    private static Path dir;

    @BeforeAll
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("bicross-fuzz-vocab");
    }

    @AfterAll
    static void deleteFolder() throws IOException {
        Files.deleteIfExists(dir.resolve("vocab.txt"));
        Files.deleteIfExists(dir.resolve("tokenizer_config.json"));
        Files.deleteIfExists(dir);
    }

    @FuzzTest
    @Timeout(10)
    void vocabTxt(byte[] input) throws IOException {
        int nul = 0;
        while (nul < input.length && input[nul] != 0) {
            nul++;
        }
        Path vocabFile = Files.write(dir.resolve("vocab.txt"), Arrays.copyOf(input, nul));
        Path configFile = nul < input.length
                ? Files.write(dir.resolve("tokenizer_config.json"), Arrays.copyOfRange(input, nul + 1, input.length))
                : null;
        TokenizerConfig parsed;
        try {
            parsed = TokenizerJsonReader.readVocabTxt(vocabFile, configFile);
        } catch (IOException e) {
            String message = e.getMessage();
            assertTrue(message != null && (message.startsWith(vocabFile + ":")
                    || configFile != null && message.startsWith(configFile + ":")),
                    () -> "message does not name the file: " + message);
            return;
        }
        BertTokenizer tokenizer = BertTokenizer.fromConfig(parsed);
        TokenizerInvariants.check(tokenizer, "Hello, [SEP] wörld! 日本 ##ing", null, BertTokenizer.NO_TRUNCATION);
        TokenizerInvariants.check(tokenizer, "a question", "a [MASK] document that is longer", 8);
    }
}
