package dev.bicross.engine.model;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
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

class BertConfigTest {

    @TempDir
    Path tmp;

    private Path write(String json) throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, json);
        return file;
    }

    private String refused(String json) throws IOException {
        Path file = write(json);
        var e = assertThrows(ModelFormatException.class, () -> BertConfig.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsMiniLmConfig() throws IOException {
        BertConfig c = BertConfig.read(write("""
                {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
                 "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
                 "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
                 "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
                 "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
                 "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2,
                 "use_cache": true, "vocab_size": 30522}
                """));
        assertEquals(new BertConfig(List.of("BertModel"), 384, 6, 12, 1536, 30522, 512, 2, 1e-12f, "gelu",
                Map.of()), c);
        assertEquals(32, c.headDim());
        assertEquals(0, c.numLabels());
    }

    @Test
    void readsClassifierLabels() throws IOException {
        BertConfig c = BertConfig.read(write(new TinyBert(1, 16, 2, 32, 1, 40, 20, 2, 3).configJson()));
        assertTrue(c.isSequenceClassifier());
        assertEquals(Map.of(0, "L0", 1, "L1", 2, "L2"), c.id2label());
        BertConfig single = BertConfig.read(write("""
                {"architectures": ["BertForSequenceClassification"], "num_labels": 1}"""));
        assertEquals(1, single.numLabels());
    }

    @Test
    void refusesWhatItCannotRun() throws IOException {
        assertTrue(refused("{\"architectures\": [\"RobertaModel\"]}")
                .contains("unsupported architecture 'RobertaModel' (bicross supports BertModel, "
                        + "BertForSequenceClassification)"));
        assertTrue(refused("{\"model_type\": \"distilbert\"}").contains("unsupported model_type 'distilbert'"));
        assertTrue(refused("{\"hidden_act\": \"gelu_new\"}").contains("unsupported hidden_act 'gelu_new'"));
        assertTrue(refused("{\"position_embedding_type\": \"relative_key\"}")
                .contains("unsupported position_embedding_type 'relative_key'"));
        assertTrue(refused("{\"hidden_size\": 100, \"num_attention_heads\": 12}")
                .contains("hidden_size 100 is not a multiple of num_attention_heads 12"));
        assertTrue(refused("{\"hidden_size\": -4}").contains("hidden_size must be a positive integer, got -4"));
        assertTrue(refused("{\"hidden_size\": ").contains("not valid JSON"));
    }

    @Test
    void missingConfigIsNamed() {
        var e = assertThrows(ModelFormatException.class, () -> BertConfig.read(tmp.resolve("config.json")));
        assertTrue(e.getMessage().contains("config.json: not found"), e.getMessage());
    }
}
