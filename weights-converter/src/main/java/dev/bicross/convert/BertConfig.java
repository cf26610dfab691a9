package dev.bicross.convert;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code config.json} values of a BERT encoder, as derived from an ONNX graph and its tensors.
 *
 * @param architecture         {@code BertModel}, or {@code BertForSequenceClassification} when a classifier is present
 * @param numHiddenLayers      encoder layers
 * @param hiddenSize           model width
 * @param numAttentionHeads    heads, from the attention Reshape's shape constant
 * @param intermediateSize     feed-forward width
 * @param vocabSize            rows of the word embeddings
 * @param maxPositions         rows of the position embeddings
 * @param typeVocabSize        rows of the token-type embeddings
 * @param layerNormEps         layer norm epsilon as stored in the graph (float precision)
 * @param hiddenAct            HF activation name: {@code gelu} (erf), {@code gelu_new} (tanh) or {@code relu}
 * @param padTokenId           id of {@code [PAD]} (0 when unknown)
 * @param numLabels            classifier outputs (0 for a bare encoder)
 */
public record BertConfig(String architecture, int numHiddenLayers, int hiddenSize, int numAttentionHeads,
                         int intermediateSize, int vocabSize, int maxPositions, int typeVocabSize, float layerNormEps,
                         String hiddenAct, int padTokenId, int numLabels) {

    /** The config with another pad token id. */
    public BertConfig withPadTokenId(int id) {
        return new BertConfig(architecture, numHiddenLayers, hiddenSize, numAttentionHeads, intermediateSize, vocabSize,
                maxPositions, typeVocabSize, layerNormEps, hiddenAct, id, numLabels);
    }

    /**
     * The {@code config.json} content, keys as transformers writes them. The epsilon is written as the shortest
     * decimal that reads back to the graph's float (1e-12, not 9.99999996e-13).
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", java.util.List.of(architecture));
        m.put("attention_probs_dropout_prob", 0.1);
        m.put("classifier_dropout", null);
        m.put("hidden_act", hiddenAct);
        m.put("hidden_dropout_prob", 0.1);
        m.put("hidden_size", hiddenSize);
        if (numLabels > 0) {
            Map<String, String> id2label = new LinkedHashMap<>();
            Map<String, Integer> label2id = new LinkedHashMap<>();
            for (int i = 0; i < numLabels; i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
                label2id.put("LABEL_" + i, i);
            }
            m.put("id2label", id2label);
            m.put("label2id", label2id);
        }
        m.put("initializer_range", 0.02);
        m.put("intermediate_size", intermediateSize);
        m.put("layer_norm_eps", Double.parseDouble(Float.toString(layerNormEps)));
        m.put("max_position_embeddings", maxPositions);
        m.put("model_type", "bert");
        m.put("num_attention_heads", numAttentionHeads);
        m.put("num_hidden_layers", numHiddenLayers);
        m.put("pad_token_id", padTokenId);
        m.put("position_embedding_type", "absolute");
        m.put("torch_dtype", "float32");
        m.put("type_vocab_size", typeVocabSize);
        m.put("use_cache", true);
        m.put("vocab_size", vocabSize);
        return m;
    }
}
