package dev.bicross.engine.rerank;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.model.BertConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a cross-encoder scores: the activation on its logits and the maximum pair length in tokens.
 *
 * @param activation what is applied to the logits
 * @param maxLength  pairs longer than this are truncated {@code longest_first}; at most max_position_embeddings
 */
public record CrossEncoderSettings(ScoreActivation activation, int maxLength) {

    /** sentence-transformers' CrossEncoder default when the tokenizer declares no model_max_length. */
    public static final int DEFAULT_MAX_LENGTH = 512;

    public CrossEncoderSettings {
        if (maxLength < 4) {
            throw new IllegalArgumentException("maxLength must be at least 4 (room for [CLS] q [SEP] d [SEP]), got "
                    + maxLength);
        }
    }

    /**
     * Reads the settings a model folder declares: the activation from config.json
     * ({@code sentence_transformers.activation_fn}, or the older {@code sbert_ce_default_activation_function};
     * otherwise sigmoid for one label, identity for several), the max length from tokenizer_config.json's
     * {@code model_max_length} (default 512), both capped by max_position_embeddings.
     */
    public static CrossEncoderSettings read(Path modelDir, BertConfig config) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        Path configFile = modelDir.resolve("config.json");
        JsonNode json = mapper.readTree(configFile.toFile());
        String declared = json.path("sentence_transformers").path("activation_fn").asText("");
        if (declared.isEmpty()) {
            declared = json.path("sbert_ce_default_activation_function").asText("");
        }
        ScoreActivation activation = declared.isEmpty()
                ? (config.numLabels() == 1 ? ScoreActivation.SIGMOID : ScoreActivation.IDENTITY)
                : ScoreActivation.fromTorchClass(declared, configFile.toString());

        int maxLength = DEFAULT_MAX_LENGTH;
        Path tokenizerConfig = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokenizerConfig)) {
            JsonNode declaredLength = mapper.readTree(tokenizerConfig.toFile()).path("model_max_length");
            // Tokenizers without a limit store a huge sentinel (1e30); only a sensible value counts.
            if (declaredLength.isNumber() && declaredLength.asDouble() >= 4 && declaredLength.asDouble() < 1e6) {
                maxLength = declaredLength.asInt();
            }
        }
        if (!config.isSequenceClassifier()) {
            throw new ModelFormatException(configFile + ": architectures " + config.architectures()
                    + " has no classification head; a cross-encoder needs BertForSequenceClassification");
        }
        return new CrossEncoderSettings(activation, Math.min(maxLength, config.maxPositionEmbeddings()));
    }

    /** The same settings with another activation. */
    public CrossEncoderSettings withActivation(ScoreActivation a) {
        return new CrossEncoderSettings(a, maxLength);
    }

    /** The same settings with another max length. */
    public CrossEncoderSettings withMaxLength(int length) {
        return new CrossEncoderSettings(activation, length);
    }
}
