package dev.bicross.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fields of a Hugging Face {@code config.json} that a BERT encoder needs, named as in the file. Missing fields
 * take Hugging Face's {@code BertConfig} defaults. Immutable.
 *
 * @param architectures        e.g. {@code [BertModel]} or {@code [BertForSequenceClassification]}; may be empty
 * @param hiddenSize           {@code hidden_size}, width of every token vector (384 for MiniLM-L6)
 * @param numHiddenLayers      {@code num_hidden_layers}
 * @param numAttentionHeads    {@code num_attention_heads}; divides hiddenSize
 * @param intermediateSize     {@code intermediate_size}, width of the feed-forward layer
 * @param vocabSize            {@code vocab_size}
 * @param maxPositionEmbeddings {@code max_position_embeddings}, the longest sequence the model accepts
 * @param typeVocabSize        {@code type_vocab_size}, number of segment ids
 * @param layerNormEps         {@code layer_norm_eps}
 * @param hiddenAct            {@code hidden_act}; only {@code gelu} (the exact erf form) is supported
 * @param id2label             class labels of a sequence-classification head, by index (empty for encoders)
 */
public record BertConfig(List<String> architectures, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                         int intermediateSize, int vocabSize, int maxPositionEmbeddings, int typeVocabSize,
                         float layerNormEps, String hiddenAct, Map<Integer, String> id2label) {

    /** Most classifier labels a config may declare; more is a corrupt file, not a model. */
    static final int MAX_LABELS = 1 << 16;

    /** The architectures bicross runs. */
    public static final List<String> SUPPORTED_ARCHITECTURES = List.of("BertModel", "BertForSequenceClassification");

    public BertConfig {
        architectures = List.copyOf(architectures);
        id2label = Map.copyOf(id2label);
    }

    /** Width of one attention head: hiddenSize / numAttentionHeads. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Whether the checkpoint carries a sequence-classification head (pooler + classifier). */
    public boolean isSequenceClassifier() {
        return architectures.contains("BertForSequenceClassification");
    }

    /** Number of classifier outputs: the size of id2label, or 0 for a plain encoder. */
    public int numLabels() {
        return id2label.size();
    }

    /**
     * Reads and validates {@code config.json}.
     *
     * @throws ModelFormatException if the file is not JSON, names another architecture or activation, or has
     *                              inconsistent sizes; the message starts with the file name
     * @throws IOException          if the file cannot be read; nothing but ModelFormatException for bad contents
     */
    public static BertConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            // Bytes, not a String: Jackson reports malformed UTF-8 as a parse error at a position.
            root = new ObjectMapper().readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(configJson + ": not found (a model folder needs config.json)", e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelFormatException(configJson + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (java.io.CharConversionException e) {
            throw new ModelFormatException(configJson + ": not valid JSON text (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(configJson + ": expected a JSON object");
        }
        String modelType = root.path("model_type").asText("bert");
        if (!modelType.equals("bert")) {
            throw new ModelFormatException(configJson + ": unsupported model_type '" + modelType
                    + "' (bicross supports bert)");
        }
        List<String> architectures = new ArrayList<>();
        for (JsonNode a : root.path("architectures")) {
            String name = a.asText();
            if (!SUPPORTED_ARCHITECTURES.contains(name)) {
                throw new ModelFormatException(configJson + ": unsupported architecture '" + name
                        + "' (bicross supports " + String.join(", ", SUPPORTED_ARCHITECTURES) + ")");
            }
            architectures.add(name);
        }
        String hiddenAct = root.path("hidden_act").asText("gelu");
        if (!hiddenAct.equals("gelu")) {
            throw new ModelFormatException(configJson + ": unsupported hidden_act '" + hiddenAct
                    + "' (bicross supports gelu, the exact erf form)");
        }
        String positionType = root.path("position_embedding_type").asText("absolute");
        if (!positionType.equals("absolute")) {
            throw new ModelFormatException(configJson + ": unsupported position_embedding_type '" + positionType
                    + "' (bicross supports absolute)");
        }
        Map<Integer, String> id2label = new TreeMap<>();
        if (architectures.contains("BertForSequenceClassification")) {
            for (Map.Entry<String, JsonNode> e : root.path("id2label").properties()) {
                try {
                    id2label.put(Integer.parseInt(e.getKey()), e.getValue().asText());
                } catch (NumberFormatException ex) {
                    throw new ModelFormatException(configJson + ": id2label key '" + e.getKey()
                            + "' is not an integer", ex);
                }
            }
            if (id2label.isEmpty()) {
                int numLabels = positiveInt(configJson, root, "num_labels", 2);
                if (numLabels > MAX_LABELS) {
                    throw new ModelFormatException(configJson + ": num_labels " + numLabels
                            + " is implausibly large (bicross reads at most " + MAX_LABELS + " classifier labels)");
                }
                for (int i = 0; i < numLabels; i++) {
                    id2label.put(i, "LABEL_" + i);
                }
            } else if (!id2label.keySet().equals(java.util.stream.IntStream.range(0, id2label.size()).boxed()
                    .collect(java.util.stream.Collectors.toSet()))) {
                throw new ModelFormatException(configJson + ": id2label keys must be 0.." + (id2label.size() - 1)
                        + ", got " + id2label.keySet());
            }
        }
        BertConfig config = new BertConfig(architectures,
                positiveInt(configJson, root, "hidden_size", 768),
                positiveInt(configJson, root, "num_hidden_layers", 12),
                positiveInt(configJson, root, "num_attention_heads", 12),
                positiveInt(configJson, root, "intermediate_size", 3072),
                positiveInt(configJson, root, "vocab_size", 30522),
                positiveInt(configJson, root, "max_position_embeddings", 512),
                positiveInt(configJson, root, "type_vocab_size", 2),
                (float) root.path("layer_norm_eps").asDouble(1e-12),
                hiddenAct, new LinkedHashMap<>(id2label));
        if (config.hiddenSize % config.numAttentionHeads != 0) {
            throw new ModelFormatException(configJson + ": hidden_size " + config.hiddenSize
                    + " is not a multiple of num_attention_heads " + config.numAttentionHeads);
        }
        if (!(config.layerNormEps > 0)) {
            throw new ModelFormatException(configJson + ": layer_norm_eps must be positive, got "
                    + root.path("layer_norm_eps"));
        }
        return config;
    }

    private static int positiveInt(Path file, JsonNode root, String field, int defaultValue)
            throws ModelFormatException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return defaultValue;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() <= 0) {
            throw new ModelFormatException(file + ": " + field + " must be a positive integer, got " + node);
        }
        return node.asInt();
    }
}
