package dev.bicross.convert;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.bicross.convert.OnnxBuilder.in;

/**
 * A synthetic 2-layer BERT exported the way PyTorch does it: HF names on biases, LayerNorms and embeddings,
 * anonymous transposed dense weights, a Concat-built attention Reshape shape, decomposed LayerNorm with an epsilon
 * constant, and Erf. The graph is structurally faithful, not executable. Knobs break it in specific ways.
 */
final class TinyBert {

    static final int H = 4;
    static final int HEADS = 2;
    static final int I = 8;
    static final int V = 10;
    static final int P = 6;
    static final int T = 2;
    static final int LAYERS = 2;
    static final float EPS = 1e-12f;

    /** Expected HF tensors in PyTorch layout, keyed by HF name. */
    final Map<String, float[]> expected = new LinkedHashMap<>();
    final Map<String, long[]> expectedShapes = new LinkedHashMap<>();
    /** Anonymous ONNX name → HF name, as the exporter would have produced them. */
    final Map<String, String> anonymous = new LinkedHashMap<>();

    /** Named tensors to leave out of the file. */
    final Set<String> omit = new HashSet<>();
    /** An HF module prefix whose MatMul output is not followed by its bias Add. */
    String noBiasAddFor;
    /** Store dense weights in float_data instead of raw_data. */
    boolean floatData;
    /** Export this module as Gemm(transB=1) instead of MatMul + Add. */
    String gemmFor;
    /** Give the second LayerNorm a different epsilon. */
    boolean mixedEps;
    /** Store this named tensor as external data. */
    String externalFor;
    /** Use the LayerNormalization operator (opset 17) with an epsilon attribute instead of the decomposed form. */
    boolean fusedLayerNorm;
    /** Name prefix of the encoder ("bert." for task models). */
    String prefix = "";
    /** Add a pooler and a 3-way classifier head, as BertForSequenceClassification exports them (Gemm, named). */
    boolean classifier;

    private final Random random = new Random(42);
    private int anon = 990;

    byte[] build() {
        OnnxBuilder b = new OnnxBuilder();
        named(b, prefix + "embeddings.word_embeddings.weight", V, H);
        named(b, prefix + "embeddings.position_embeddings.weight", P, H);
        named(b, prefix + "embeddings.token_type_embeddings.weight", T, H);
        named(b, prefix + "embeddings.LayerNorm.weight", H);
        named(b, prefix + "embeddings.LayerNorm.bias", H);
        long[] positions = new long[P];
        for (int i = 0; i < P; i++) {
            positions[i] = i;
        }
        b.initializer(OnnxBuilder.int64Data("embeddings.position_ids", new long[] {1, P}, positions));
        layerNorm(b, "ln_emb", EPS);
        for (int l = 0; l < LAYERS; l++) {
            String p = prefix + "encoder.layer." + l + ".";
            String x = "hidden_" + l;
            dense(b, p + "attention.self.query", x, H, H);
            b.node("Unsqueeze", "u0_" + l, in("batch"), in("u0_" + l), OnnxBuilder.intsAttribute("axes", 0));
            b.node("Unsqueeze", "u1_" + l, in("seq"), in("u1_" + l), OnnxBuilder.intsAttribute("axes", 0));
            constantInt64(b, "heads_" + l, HEADS);
            constantInt64(b, "head_dim_" + l, H / HEADS);
            b.node("Concat", "concat_" + l, in("u0_" + l, "u1_" + l, "heads_" + l, "head_dim_" + l), in("shape_" + l),
                    OnnxBuilder.intAttribute("axis", 0));
            b.node("Reshape", "reshape_" + l, in(p + "attention.self.query.out", "shape_" + l), in("q_heads_" + l));
            dense(b, p + "attention.self.key", x, H, H);
            dense(b, p + "attention.self.value", x, H, H);
            dense(b, p + "attention.output.dense", "ctx_" + l, H, H);
            named(b, p + "attention.output.LayerNorm.weight", H);
            named(b, p + "attention.output.LayerNorm.bias", H);
            layerNorm(b, "ln_att_" + l, mixedEps && l == 1 ? 1e-5f : EPS);
            dense(b, p + "intermediate.dense", "att_" + l, I, H);
            b.node("Erf", "erf_" + l, in("scaled_" + l), in("erf_out_" + l));
            dense(b, p + "output.dense", "act_" + l, H, I);
            named(b, p + "output.LayerNorm.weight", H);
            named(b, p + "output.LayerNorm.bias", H);
            layerNorm(b, "ln_out_" + l, EPS);
        }
        if (classifier) {
            namedGemm(b, prefix + "pooler.dense", "cls_token", H, H);
            b.node("Tanh", "pooler_tanh", in(prefix + "pooler.dense.out"), in("pooled"));
            namedGemm(b, "classifier", "pooled", 3, H);
        }
        return b.model();
    }

    private void named(OnnxBuilder b, String name, int... shape) {
        long[] dims = new long[shape.length];
        int n = 1;
        for (int i = 0; i < shape.length; i++) {
            dims[i] = shape[i];
            n *= shape[i];
        }
        float[] v = randomFloats(n);
        expected.put(name, v);
        expectedShapes.put(name, dims);
        if (omit.contains(name)) {
            return;
        }
        if (name.equals(externalFor)) {
            b.initializer(OnnxBuilder.dims(new ProtoWriter(), dims).varint(2, OnnxBuilder.FLOAT).string(8, name)
                    .message(13, new ProtoWriter().string(1, "location").string(2, "model.onnx_data"))
                    .varint(14, 1));
            return;
        }
        b.initializer(OnnxBuilder.rawFloats(name, dims, v));
    }

    /** nn.Linear(in → out): weight [out, in] in PyTorch; the export stores its transpose [in, out] anonymously. */
    private void dense(OnnxBuilder b, String prefix, String input, int out, int inFeatures) {
        float[] w = randomFloats(out * inFeatures); // [out, in]
        expected.put(prefix + ".weight", w);
        expectedShapes.put(prefix + ".weight", new long[] {out, inFeatures});
        named(b, prefix + ".bias", out);
        if (prefix.equals(gemmFor)) {
            String name = "onnx::Gemm_" + anon--;
            anonymous.put(name, prefix + ".weight");
            b.initializer(OnnxBuilder.rawFloats(name, new long[] {out, inFeatures}, w));
            b.node("Gemm", prefix + "/Gemm", in(input, name, prefix + ".bias"), in(prefix + ".out"),
                    OnnxBuilder.intAttribute("transB", 1));
            return;
        }
        float[] t = new float[w.length]; // [in, out]
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < inFeatures; i++) {
                t[i * out + o] = w[o * inFeatures + i];
            }
        }
        String name = "onnx::MatMul_" + anon--;
        anonymous.put(name, prefix + ".weight");
        long[] dims = {inFeatures, out};
        b.initializer(floatData ? OnnxBuilder.floatData(name, dims, t) : OnnxBuilder.rawFloats(name, dims, t));
        b.node("MatMul", prefix + "/MatMul", in(input, name), in(prefix + ".mm"));
        if (!prefix.equals(noBiasAddFor)) {
            // The exporter puts the bias first; accept either order.
            String[] inputs = anon % 2 == 0 ? in(prefix + ".bias", prefix + ".mm") : in(prefix + ".mm", prefix + ".bias");
            b.node("Add", prefix + "/Add", inputs, in(prefix + ".out"));
        } else {
            b.node("Relu", prefix + "/Relu", in(prefix + ".mm"), in(prefix + ".out"));
        }
    }

    /** A Linear exported as Gemm(x, W, b, transB=1) with the HF-named weight kept (2-D input: pooler, classifier). */
    private void namedGemm(OnnxBuilder b, String module, String input, int out, int inFeatures) {
        named(b, module + ".weight", out, inFeatures);
        named(b, module + ".bias", out);
        b.node("Gemm", module + "/Gemm", in(input, module + ".weight", module + ".bias"), in(module + ".out"),
                OnnxBuilder.intAttribute("transB", 1));
    }

    private void layerNorm(OnnxBuilder b, String name, float eps) {
        if (fusedLayerNorm) {
            b.node("LayerNormalization", name, in(name + ".x", name + ".g", name + ".b"), in(name + ".y"),
                    OnnxBuilder.floatAttribute("epsilon", eps), OnnxBuilder.intAttribute("axis", -1));
            return;
        }
        b.node("ReduceMean", name + "/ReduceMean", in(name + ".pow"), in(name + ".var"),
                OnnxBuilder.intsAttribute("axes", -1));
        b.node("Constant", name + "/Constant", in(), in(name + ".eps"),
                OnnxBuilder.tensorAttribute("value", OnnxBuilder.rawFloats("", new long[0], new float[] {eps})));
        b.node("Add", name + "/Add", in(name + ".var", name + ".eps"), in(name + ".var_eps"));
        b.node("Sqrt", name + "/Sqrt", in(name + ".var_eps"), in(name + ".std"));
    }

    private static void constantInt64(OnnxBuilder b, String output, long value) {
        b.node("Constant", output, in(), in(output),
                OnnxBuilder.tensorAttribute("value", OnnxBuilder.int64Data("", new long[] {1}, value)));
    }

    private float[] randomFloats(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) random.nextGaussian();
        }
        return f;
    }

    static List<String> layerModules() {
        return List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "intermediate.dense", "output.dense");
    }
}
