package dev.bicross.engine.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link BertConfig#read}: any bytes as {@code config.json} either give a configuration whose sizes
 * are positive and consistent (hidden size a multiple of the heads, a positive epsilon, labels only for a
 * classifier) or a {@link ModelFormatException} naming the file. Nothing else escapes, and a claim such as
 * {@code num_labels: 2000000000} must not make the reader allocate or loop without bound.
 */
class BertConfigFuzzTest {

    private static Path dir;

    @BeforeAll
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("bicross-fuzz-config");
    }

    @AfterAll
    static void deleteFolder() throws IOException {
        Files.deleteIfExists(dir.resolve("config.json"));
        Files.delete(dir);
    }

    @FuzzTest
    @Timeout(10)
    void configJson(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("config.json"), bytes);
        BertConfig c;
        try {
            c = BertConfig.read(file);
        } catch (ModelFormatException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(file + ":"),
                    () -> "message does not name the file: " + e.getMessage());
            return;
        }
        assertTrue(c.hiddenSize() > 0 && c.numHiddenLayers() > 0 && c.numAttentionHeads() > 0
                && c.intermediateSize() > 0 && c.vocabSize() > 0 && c.maxPositionEmbeddings() > 0
                && c.typeVocabSize() > 0, () -> "non-positive size in " + c);
        assertEquals(0, c.hiddenSize() % c.numAttentionHeads(), "hidden size not a multiple of the heads");
        assertTrue(c.layerNormEps() > 0 && Float.isFinite(c.layerNormEps()), () -> "epsilon " + c.layerNormEps());
        assertTrue(c.isSequenceClassifier() || c.numLabels() == 0, "labels on a plain encoder");
        assertTrue(c.architectures().stream().allMatch(BertConfig.SUPPORTED_ARCHITECTURES::contains));
    }

    @Test
    void tinyBertConfigsPass() throws IOException {
        configJson(TinyBert.small(1).configJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        configJson(new TinyBert(1, 16, 4, 40, 2, 50, 24, 2, 3).configJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
