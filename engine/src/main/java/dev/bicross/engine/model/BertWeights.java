package dev.bicross.engine.model;

import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.PackedWeights;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.safetensors.SafetensorsFile;
import dev.bicross.engine.safetensors.TensorInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parameters of a BERT encoder, converted to {@code float} and with every linear layer packed for the
 * {@link Kernels} that will run it. Names follow Hugging Face's {@code BertModel}; a {@code bert.} prefix (as in
 * {@code BertForSequenceClassification} checkpoints) is recognised. Arrays are never modified after loading.
 *
 * @param embeddings     token, position and segment embeddings with their LayerNorm
 * @param layers         the encoder layers, first to last
 * @param classifierHead pooler and classifier, present for sequence classifiers
 */
public record BertWeights(Embeddings embeddings, List<Layer> layers, Optional<ClassifierHead> classifierHead) {

    public BertWeights {
        layers = List.copyOf(layers);
    }

    /**
     * @param word          (vocab, hidden)
     * @param position      (maxPositions, hidden)
     * @param tokenType     (typeVocab, hidden)
     * @param layerNormGamma (hidden)
     * @param layerNormBeta  (hidden)
     */
    public record Embeddings(float[] word, float[] position, float[] tokenType,
                             float[] layerNormGamma, float[] layerNormBeta) {
    }

    /**
     * One encoder layer. The query, key and value projections are fused into one (3·hidden, hidden) matrix so a
     * single GEMM produces the rows {@link Kernels#attention} expects.
     *
     * @param qkv                     (3·hidden, hidden): query rows, then key rows, then value rows
     * @param qkvBias                 (3·hidden)
     * @param attentionOutput         (hidden, hidden)
     * @param attentionOutputBias     (hidden)
     * @param attentionLayerNormGamma (hidden)
     * @param attentionLayerNormBeta  (hidden)
     * @param intermediate            (intermediate, hidden)
     * @param intermediateBias        (intermediate)
     * @param output                  (hidden, intermediate)
     * @param outputBias              (hidden)
     * @param outputLayerNormGamma    (hidden)
     * @param outputLayerNormBeta     (hidden)
     */
    public record Layer(PackedWeights qkv, float[] qkvBias,
                        PackedWeights attentionOutput, float[] attentionOutputBias,
                        float[] attentionLayerNormGamma, float[] attentionLayerNormBeta,
                        PackedWeights intermediate, float[] intermediateBias,
                        PackedWeights output, float[] outputBias,
                        float[] outputLayerNormGamma, float[] outputLayerNormBeta) {
    }

    /**
     * @param pooler         (hidden, hidden), applied to [CLS] with tanh
     * @param poolerBias     (hidden)
     * @param classifier     (labels, hidden)
     * @param classifierBias (labels)
     */
    public record ClassifierHead(PackedWeights pooler, float[] poolerBias,
                                 PackedWeights classifier, float[] classifierBias) {
    }

    /**
     * Validates every tensor the config implies (name, dtype, shape) and only then reads and packs them.
     *
     * @throws ModelFormatException naming the file and tensor for a missing tensor, a wrong shape or an
     *                              unsupported dtype
     */
    public static BertWeights load(SafetensorsFile file, BertConfig config, Kernels kernels)
            throws ModelFormatException {
        return load(file, config, kernels, Precision.FP32);
    }

    /**
     * As {@link #load(SafetensorsFile, BertConfig, Kernels)}, with the encoder's linear layers (QKV, attention
     * output, FFN up and down) packed at {@code precision}; embeddings, LayerNorm and the classifier head
     * (pooler, classifier) stay FP32.
     */
    public static BertWeights load(SafetensorsFile file, BertConfig config, Kernels kernels, Precision precision)
            throws ModelFormatException {
        String prefix = file.info("bert.embeddings.word_embeddings.weight").isPresent() ? "bert." : "";
        Map<String, long[]> expected = expectedTensors(config, prefix);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            check(file, e.getKey(), e.getValue());
        }
        TensorReader read = new TensorReader(file, kernels, precision);

        String e = prefix + "embeddings.";
        Embeddings embeddings = new Embeddings(
                read.floats(e + "word_embeddings.weight"),
                read.floats(e + "position_embeddings.weight"),
                read.floats(e + "token_type_embeddings.weight"),
                read.floats(e + "LayerNorm.weight"),
                read.floats(e + "LayerNorm.bias"));

        int hidden = config.hiddenSize();
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String l = prefix + "encoder.layer." + i + ".";
            float[] qkvWeight = concat(read.floats(l + "attention.self.query.weight"),
                    read.floats(l + "attention.self.key.weight"),
                    read.floats(l + "attention.self.value.weight"));
            float[] qkvBias = concat(read.floats(l + "attention.self.query.bias"),
                    read.floats(l + "attention.self.key.bias"),
                    read.floats(l + "attention.self.value.bias"));
            layers.add(new Layer(
                    kernels.pack(qkvWeight, 3 * hidden, hidden, precision), qkvBias,
                    read.encoderLinear(l + "attention.output.dense.weight", hidden, hidden),
                    read.floats(l + "attention.output.dense.bias"),
                    read.floats(l + "attention.output.LayerNorm.weight"),
                    read.floats(l + "attention.output.LayerNorm.bias"),
                    read.encoderLinear(l + "intermediate.dense.weight", config.intermediateSize(), hidden),
                    read.floats(l + "intermediate.dense.bias"),
                    read.encoderLinear(l + "output.dense.weight", hidden, config.intermediateSize()),
                    read.floats(l + "output.dense.bias"),
                    read.floats(l + "output.LayerNorm.weight"),
                    read.floats(l + "output.LayerNorm.bias")));
        }

        Optional<ClassifierHead> head = Optional.empty();
        if (config.isSequenceClassifier()) {
            head = Optional.of(new ClassifierHead(
                    read.linear(prefix + "pooler.dense.weight", hidden, hidden),
                    read.floats(prefix + "pooler.dense.bias"),
                    read.linear("classifier.weight", config.numLabels(), hidden),
                    read.floats("classifier.bias")));
        }
        return new BertWeights(embeddings, layers, head);
    }

    /** Every tensor the forward pass reads, with its shape, in file-name order of a Hugging Face checkpoint. */
    static Map<String, long[]> expectedTensors(BertConfig c, String prefix) {
        long h = c.hiddenSize();
        long inter = c.intermediateSize();
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put(prefix + "embeddings.word_embeddings.weight", new long[]{c.vocabSize(), h});
        t.put(prefix + "embeddings.position_embeddings.weight", new long[]{c.maxPositionEmbeddings(), h});
        t.put(prefix + "embeddings.token_type_embeddings.weight", new long[]{c.typeVocabSize(), h});
        t.put(prefix + "embeddings.LayerNorm.weight", new long[]{h});
        t.put(prefix + "embeddings.LayerNorm.bias", new long[]{h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = prefix + "encoder.layer." + i + ".";
            for (String p : List.of("query", "key", "value")) {
                t.put(l + "attention.self." + p + ".weight", new long[]{h, h});
                t.put(l + "attention.self." + p + ".bias", new long[]{h});
            }
            t.put(l + "attention.output.dense.weight", new long[]{h, h});
            t.put(l + "attention.output.dense.bias", new long[]{h});
            t.put(l + "attention.output.LayerNorm.weight", new long[]{h});
            t.put(l + "attention.output.LayerNorm.bias", new long[]{h});
            t.put(l + "intermediate.dense.weight", new long[]{inter, h});
            t.put(l + "intermediate.dense.bias", new long[]{inter});
            t.put(l + "output.dense.weight", new long[]{h, inter});
            t.put(l + "output.dense.bias", new long[]{h});
            t.put(l + "output.LayerNorm.weight", new long[]{h});
            t.put(l + "output.LayerNorm.bias", new long[]{h});
        }
        if (c.isSequenceClassifier()) {
            t.put(prefix + "pooler.dense.weight", new long[]{h, h});
            t.put(prefix + "pooler.dense.bias", new long[]{h});
            t.put("classifier.weight", new long[]{c.numLabels(), h});
            t.put("classifier.bias", new long[]{c.numLabels()});
        }
        return t;
    }

    private static void check(SafetensorsFile file, String name, long[] shape) throws ModelFormatException {
        TensorInfo info = file.info(name).orElseThrow(() -> new ModelFormatException(
                file.path() + ": missing tensor '" + name + "' (expected shape "
                        + java.util.Arrays.toString(shape) + " from config.json)"));
        if (!info.dtype().isFloatingPointWeight()) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has unsupported dtype "
                    + info.dtype() + " (bicross reads F32, F16 and BF16 weights; quantized checkpoints are not "
                    + "supported)");
        }
        if (!info.hasShape(shape)) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + " but config.json implies " + java.util.Arrays.toString(shape));
        }
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Reads validated tensors; packs linear weights (out, in) for the kernels. */
    private record TensorReader(SafetensorsFile file, Kernels kernels, Precision precision) {
        float[] floats(String name) throws ModelFormatException {
            return file.readFloats(name);
        }

        /** A linear layer of the classifier head: always FP32. */
        PackedWeights linear(String name, int out, int in) throws ModelFormatException {
            return kernels.pack(file.readFloats(name), out, in);
        }

        /** A linear layer inside an encoder layer: at the chosen precision. */
        PackedWeights encoderLinear(String name, int out, int in) throws ModelFormatException {
            return kernels.pack(file.readFloats(name), out, in, precision);
        }
    }
}
