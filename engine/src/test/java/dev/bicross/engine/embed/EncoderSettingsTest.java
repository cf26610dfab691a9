package dev.bicross.engine.embed;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.model.BertConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncoderSettingsTest {

    private static final BertConfig MINILM = new BertConfig(List.of("BertModel"), 384, 6, 12, 1536, 30522, 512, 2,
            1e-12f, "gelu", Map.of());

    @TempDir
    Path dir;

    private void sentenceTransformersFolder(String poolingConfig, boolean normalize) throws IOException {
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}%s]
                """.formatted(normalize
                ? ", {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}"
                : ""));
        Files.writeString(dir.resolve("sentence_bert_config.json"),
                "{\"max_seq_length\": 256, \"do_lower_case\": false}");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), poolingConfig);
    }

    private static String pooling(boolean cls, boolean mean, boolean max) {
        return """
                {"word_embedding_dimension": 384, "pooling_mode_cls_token": %s, "pooling_mode_mean_tokens": %s,
                 "pooling_mode_max_tokens": %s, "pooling_mode_mean_sqrt_len_tokens": false}
                """.formatted(cls, mean, max);
    }

    @Test
    void readsAllMiniLmLayout() throws IOException {
        sentenceTransformersFolder(pooling(false, true, false), true);
        assertEquals(new EncoderSettings(Pooling.MEAN, true, 256), EncoderSettings.read(dir, MINILM));
    }

    @Test
    void readsClsAndMaxPooling() throws IOException {
        sentenceTransformersFolder(pooling(true, false, false), false);
        assertEquals(new EncoderSettings(Pooling.CLS, false, 256), EncoderSettings.read(dir, MINILM));
        sentenceTransformersFolder(pooling(false, false, true), false);
        assertEquals(Pooling.MAX, EncoderSettings.read(dir, MINILM).pooling());
    }

    @Test
    void plainHuggingFaceFolderMeansMeanPoolingAtFullLength() throws IOException {
        assertEquals(new EncoderSettings(Pooling.MEAN, false, 512), EncoderSettings.read(dir, MINILM));
    }

    @Test
    void refusesPoolingAndModulesItDoesNotImplement() throws IOException {
        sentenceTransformersFolder("{\"pooling_mode_mean_sqrt_len_tokens\": true}", true);
        var e = assertThrows(ModelFormatException.class, () -> EncoderSettings.read(dir, MINILM));
        assertTrue(e.getMessage().contains("pooling_mode_mean_sqrt_len_tokens"), e.getMessage());
        sentenceTransformersFolder(pooling(true, true, false), true);
        e = assertThrows(ModelFormatException.class, () -> EncoderSettings.read(dir, MINILM));
        assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
        Files.writeString(dir.resolve("modules.json"),
                "[{\"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
        e = assertThrows(ModelFormatException.class, () -> EncoderSettings.read(dir, MINILM));
        assertTrue(e.getMessage().contains("unsupported module 'sentence_transformers.models.Dense'"), e.getMessage());
    }

    @Test
    void maxSeqLengthNeverExceedsThePositionTable() throws IOException {
        Files.writeString(dir.resolve("sentence_bert_config.json"), "{\"max_seq_length\": 4096}");
        assertEquals(512, EncoderSettings.read(dir, MINILM).maxSeqLength());
    }
}
