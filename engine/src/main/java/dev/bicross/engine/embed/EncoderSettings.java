package dev.bicross.engine.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.model.BertConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a bi-encoder pools and normalises, and how many tokens it reads: what sentence-transformers stores in
 * {@code modules.json}, {@code sentence_bert_config.json} and {@code <pooling module>/config.json}.
 *
 * @param pooling      token pooling
 * @param normalize    whether vectors are L2-normalised (a Normalize module is listed)
 * @param maxSeqLength tokens per text, [CLS] and [SEP] included; longer texts are truncated
 */
public record EncoderSettings(Pooling pooling, boolean normalize, int maxSeqLength) {

    public EncoderSettings {
        if (maxSeqLength < 2) {
            throw new IllegalArgumentException("maxSeqLength must be at least 2 ([CLS] and [SEP]), got " + maxSeqLength);
        }
    }

    /** A copy with another pooling. */
    public EncoderSettings withPooling(Pooling newPooling) {
        return new EncoderSettings(newPooling, normalize, maxSeqLength);
    }

    /** A copy with normalisation switched on or off. */
    public EncoderSettings withNormalize(boolean newNormalize) {
        return new EncoderSettings(pooling, newNormalize, maxSeqLength);
    }

    /** A copy with another maximum sequence length. */
    public EncoderSettings withMaxSeqLength(int newMaxSeqLength) {
        return new EncoderSettings(pooling, normalize, newMaxSeqLength);
    }

    /**
     * Reads the sentence-transformers files of a model folder. Without {@code modules.json}: mean pooling, no
     * normalisation. Without {@code sentence_bert_config.json}: max_seq_length = max_position_embeddings. The
     * length never exceeds max_position_embeddings.
     *
     * @throws ModelFormatException for a module or pooling mode bicross does not implement
     */
    public static EncoderSettings read(Path modelDir, BertConfig config) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Pooling pooling = Pooling.MEAN;
        boolean normalize = false;
        Path modules = modelDir.resolve("modules.json");
        if (Files.isRegularFile(modules)) {
            JsonNode root = readJson(json, modules);
            for (JsonNode module : root) {
                String type = module.path("type").asText();
                String simpleType = type.substring(type.lastIndexOf('.') + 1);
                switch (simpleType) {
                    case "Transformer" -> { }
                    case "Pooling" -> pooling = readPooling(json, modelDir.resolve(module.path("path").asText()));
                    case "Normalize" -> normalize = true;
                    default -> throw new ModelFormatException(modules + ": unsupported module '" + type
                            + "' (bicross supports Transformer, Pooling, Normalize)");
                }
            }
        }
        int maxSeqLength = config.maxPositionEmbeddings();
        Path sbert = modelDir.resolve("sentence_bert_config.json");
        if (Files.isRegularFile(sbert)) {
            JsonNode length = readJson(json, sbert).get("max_seq_length");
            if (length != null && !length.isNull()) {
                if (!length.isIntegralNumber() || length.asInt() < 2) {
                    throw new ModelFormatException(sbert + ": max_seq_length must be an integer >= 2, got " + length);
                }
                maxSeqLength = Math.min(length.asInt(), config.maxPositionEmbeddings());
            }
        }
        return new EncoderSettings(pooling, normalize, maxSeqLength);
    }

    private static Pooling readPooling(ObjectMapper json, Path poolingDir) throws IOException {
        Path file = poolingDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return Pooling.MEAN;
        }
        JsonNode root = readJson(json, file);
        List<Pooling> chosen = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (var field : root.properties()) {
            if (!field.getKey().startsWith("pooling_mode_") || !field.getValue().asBoolean(false)) {
                continue;
            }
            switch (field.getKey()) {
                case "pooling_mode_mean_tokens" -> chosen.add(Pooling.MEAN);
                case "pooling_mode_cls_token" -> chosen.add(Pooling.CLS);
                case "pooling_mode_max_tokens" -> chosen.add(Pooling.MAX);
                default -> unsupported.add(field.getKey());
            }
        }
        if (!unsupported.isEmpty() || chosen.size() > 1) {
            throw new ModelFormatException(file + ": unsupported pooling " + chosen + unsupported
                    + " (bicross supports exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, "
                    + "pooling_mode_max_tokens)");
        }
        return chosen.isEmpty() ? Pooling.MEAN : chosen.getFirst();
    }

    private static JsonNode readJson(ObjectMapper json, Path file) throws ModelFormatException {
        try {
            return json.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read JSON (" + e.getMessage() + ")", e);
        }
    }
}
