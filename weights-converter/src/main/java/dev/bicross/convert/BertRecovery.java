package dev.bicross.convert;

import dev.bicross.convert.onnx.OnnxAttribute;
import dev.bicross.convert.onnx.OnnxDataType;
import dev.bicross.convert.onnx.OnnxFormatException;
import dev.bicross.convert.onnx.OnnxGraph;
import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxNode;
import dev.bicross.convert.onnx.OnnxTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recovers a Hugging Face BERT checkpoint (parameter names, PyTorch layouts, config) from an ONNX export.
 *
 * <p>PyTorch's exporter keeps the module names of biases, LayerNorms and embeddings, but a {@code nn.Linear} weight is
 * folded into a transposed constant with an anonymous name ({@code onnx::MatMul_787}, stored [in, out]). Its name is
 * recovered from the graph: the MatMul's output is added to {@code <prefix>.bias}, so the weight is
 * {@code <prefix>.weight}; it is transposed back to [out, in]. Dynamically quantized exports (MatMulInteger with int8
 * weights and per-column scales, uint8 embeddings behind DequantizeLinear) are dequantized to F32 on the way.
 *
 * <p>The config comes from the tensors (sizes), the attention Reshape's shape constant (heads), the LayerNorm
 * epsilon constant or attribute, and the activation's operators (Erf means exact GELU).
 */
public final class BertRecovery {

    private static final Pattern LAYER = Pattern.compile("^(?:bert\\.)?encoder\\.layer\\.(\\d+)\\.");
    /** What a PyTorch parameter name looks like (as opposed to onnx::MatMul_12 or /encoder/Constant_output_0). */
    private static final Pattern HF_PARAMETER = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*\\.(weight|bias)$");
    /** Ops a dense layer's output may pass through before its bias Add (dequantization: Cast, then Mul by scales). */
    private static final Set<String> PASS_THROUGH = Set.of("Cast", "Mul");

    private final OnnxGraph graph;
    private final String source;
    private final Map<String, HfTensor> tensors = new LinkedHashMap<>();
    /** Initializers accounted for (renamed, dequantized, or consumed as scales / zero points). */
    private final Set<String> used = new HashSet<>();
    /** For each recovered dense prefix, the value that carries its biased output (where the attention Reshape reads). */
    private final Map<String, String> biasedOutputs = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    /** The recovered checkpoint: tensors in HF names (sorted as in a HF state dict), the config, and notes. */
    public record Result(Map<String, HfTensor> tensors, BertConfig config, List<String> notes) {
    }

    private BertRecovery(OnnxModel model) {
        this.graph = model.graph();
        this.source = model.source();
    }

    /** Recovers names, layouts and config from a BERT-family ONNX model. */
    public static Result recover(OnnxModel model) throws ConversionException, OnnxFormatException {
        return new BertRecovery(model).run();
    }

    private Result run() throws ConversionException, OnnxFormatException {
        checkArity();
        for (OnnxNode node : graph.nodes()) {
            switch (node.opType()) {
                case "MatMul" -> denseFromMatMul(node);
                case "Gemm" -> denseFromGemm(node);
                case "MatMulInteger" -> denseFromMatMulInteger(node);
                case "Gather" -> quantizedEmbedding(node);
                case "MatMulNBits", "QLinearMatMul", "QAttention", "QGemm", "DynamicQuantizeMatMul" ->
                        throw new ConversionException(source + ": quantized ONNX (" + node.opType() + " in node '"
                                + node.name() + "') is not supported: convert the FP32 model");
                default -> {
                }
            }
        }
        keepNamedInitializers();
        String prefix = tensors.containsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        BertConfig config = deriveConfig(prefix);
        checkComplete(prefix, config);
        return new Result(sortedLikeHf(), config, List.copyOf(notes));
    }

    /**
     * The graph walk below reads the first output of every node, the operand of the unary operators and both
     * operands of the binary operators it follows; a node without them (a damaged file) is refused here, by name, instead of failing deep in the walk.
     */
    private void checkArity() throws ConversionException {
        for (OnnxNode node : graph.nodes()) {
            int minInputs = switch (node.opType()) {
                case "MatMul", "Gemm", "MatMulInteger", "Add", "Mul", "Reshape", "Gather" -> 2;
                case "Sqrt", "Cast", "DequantizeLinear", "LayerNormalization", "SkipLayerNormalization",
                     "EmbedLayerNormalization" -> 1;
                default -> 0;
            };
            if (node.outputs().isEmpty() || node.inputs().size() < minInputs) {
                throw new ConversionException(source + ": node '" + node.name() + "' (" + node.opType() + ") has "
                        + node.inputs().size() + " inputs and " + node.outputs().size() + " outputs; the graph is"
                        + " malformed");
            }
        }
    }

    // ---- dense weights -------------------------------------------------------------------------------------------

    /** MatMul(x, W) with W an initializer [in, out]: name from the bias Add downstream, transposed to [out, in]. */
    private void denseFromMatMul(OnnxNode node) throws ConversionException, OnnxFormatException {
        OnnxTensor w = initializerInput(node, 1);
        if (w == null) {
            return; // activation x activation (attention scores)
        }
        requireFloatMatrix(node, w);
        BiasLink link = findBias(node, node.outputs().getFirst(), w);
        float[] values = w.toFloats();
        int in = (int) w.dims()[0];
        int out = (int) w.dims()[1];
        addDense(link, transpose(values, in, out), out, in, w.name() + " " + Arrays.toString(w.dims()) + " transposed");
        used.add(w.name());
    }

    /** Gemm(x, W, b): the bias is an input; transB=1 means W is already [out, in]. */
    private void denseFromGemm(OnnxNode node) throws ConversionException, OnnxFormatException {
        OnnxTensor w = initializerInput(node, 1);
        if (w == null) {
            return;
        }
        requireFloatMatrix(node, w);
        String biasName = node.inputs().size() > 2 ? node.inputs().get(2) : "";
        if (!biasName.endsWith(".bias") || graph.initializer(biasName) == null) {
            throw new ConversionException(source + ": Gemm '" + node.name() + "' with weight '" + w.name()
                    + "' has no '<module>.bias' initializer as its third input, so its Hugging Face name cannot be recovered");
        }
        String prefix = biasName.substring(0, biasName.length() - ".bias".length());
        OnnxAttribute transB = node.attribute("transB");
        float[] values = w.toFloats();
        int r = (int) w.dims()[0];
        int c = (int) w.dims()[1];
        BiasLink link = new BiasLink(prefix, node.outputs().getFirst(), null);
        if (transB != null && transB.i() == 1) {
            addDense(link, values, r, c, w.name() + " " + Arrays.toString(w.dims()) + " (Gemm transB)");
        } else {
            addDense(link, transpose(values, r, c), c, r, w.name() + " " + Arrays.toString(w.dims()) + " transposed");
        }
        used.add(w.name());
    }

    /**
     * MatMulInteger(xq, Wq, x_zero, W_zero) → Cast → Mul(x_scale·W_scale) → Add(bias): dequantize
     * W[k][n] = (Wq[k][n] − W_zero[n]) · W_scale[n], then transpose.
     */
    private void denseFromMatMulInteger(OnnxNode node) throws ConversionException, OnnxFormatException {
        OnnxTensor wq = initializerInput(node, 1);
        if (wq == null) {
            throw new ConversionException(source + ": MatMulInteger '" + node.name() + "' has no constant weight;"
                    + " quantized ONNX of this form is not supported: convert the FP32 model");
        }
        if (wq.dims().length != 2 || (wq.dataType() != OnnxDataType.INT8 && wq.dataType() != OnnxDataType.UINT8)) {
            throw new ConversionException(source + ": MatMulInteger '" + node.name() + "' weight '" + wq.name() + "' is "
                    + wq.dataType() + " " + Arrays.toString(wq.dims()) + ", expected a 2-D int8/uint8 matrix");
        }
        int in = (int) wq.dims()[0];
        int out = (int) wq.dims()[1];
        BiasLink link = findBias(node, node.outputs().getFirst(), wq);
        if (link.scale() == null) {
            throw new ConversionException(source + ": quantized ONNX (MatMulInteger '" + node.name() + "') without a"
                    + " recognisable weight scale is not supported: convert the FP32 model");
        }
        float[] scale = perColumn(link.scale().toFloats(), out, link.scale().name());
        OnnxTensor zpTensor = initializerInput(node, 3);
        float[] zero = zpTensor == null ? new float[out] : toFloatsFromInts(zpTensor, out);
        long[] q = wq.toLongs();
        float[] w = new float[in * out];
        for (int k = 0; k < in; k++) {
            for (int n = 0; n < out; n++) {
                w[k * out + n] = (q[k * out + n] - zero[n]) * scale[n];
            }
        }
        addDense(link, transpose(w, in, out), out, in, wq.name() + " " + Arrays.toString(wq.dims())
                + " dequantized with " + link.scale().name() + " and transposed");
        used.add(wq.name());
        used.add(link.scale().name());
        if (zpTensor != null) {
            used.add(zpTensor.name());
        }
    }

    /** Gather(Wq, ids) → DequantizeLinear(·, scale, zero): a quantized embedding table; dequantize it whole. */
    private void quantizedEmbedding(OnnxNode node) throws ConversionException, OnnxFormatException {
        OnnxTensor wq = initializerInput(node, 0);
        if (wq == null || wq.dataType().isFloatingPoint() || wq.dims().length != 2) {
            return;
        }
        OnnxNode dq = graph.consumers(node.outputs().getFirst()).stream()
                .filter(c -> c.opType().equals("DequantizeLinear")).findFirst().orElse(null);
        if (dq == null) {
            return; // an integer lookup table (e.g. position ids), not a weight
        }
        OnnxTensor scale = initializerInput(dq, 1);
        OnnxTensor zero = dq.inputs().size() > 2 ? initializerInput(dq, 2) : null;
        if (scale == null || scale.elementCount() != 1 || (zero != null && zero.elementCount() != 1)) {
            throw new ConversionException(source + ": quantized embedding '" + wq.name() + "' has a non-scalar or"
                    + " non-constant scale; quantized ONNX of this form is not supported: convert the FP32 model");
        }
        String suffix = "_quantized";
        if (!wq.name().endsWith(suffix)) {
            throw new ConversionException(source + ": quantized embedding '" + wq.name() + "' does not follow the"
                    + " '<name>_quantized' convention, so its Hugging Face name cannot be recovered");
        }
        String name = wq.name().substring(0, wq.name().length() - suffix.length());
        float s = scale.toFloats()[0];
        float z = zero == null ? 0 : zero.toLongs()[0];
        long[] q = wq.toLongs();
        float[] w = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            w[i] = (q[i] - z) * s;
        }
        put(new HfTensor(name, wq.dims().clone(), w, wq.name() + " dequantized with " + scale.name()));
        used.add(wq.name());
        used.add(scale.name());
        if (zero != null) {
            used.add(zero.name());
        }
    }

    /** A dense weight's recovered module prefix, the value carrying its biased output, and (if quantized) the scale. */
    private record BiasLink(String prefix, String biasedOutput, OnnxTensor scale) {
    }

    /**
     * Walks forward from a dense layer's output through Cast/Mul (dequantization) to the Add whose other input is a
     * {@code <prefix>.bias} initializer. Exactly one such Add must exist.
     */
    private BiasLink findBias(OnnxNode dense, String output, OnnxTensor weight) throws ConversionException {
        Set<BiasLink> found = new LinkedHashSet<>();
        walkToBias(output, null, 0, found);
        if (found.size() != 1) {
            String what = dense.describe() + " with weight '" + weight.name() + "' " + Arrays.toString(weight.dims());
            if (found.isEmpty()) {
                throw new ConversionException(source + ": " + what + " is not followed by an Add of a '<module>.bias'"
                        + " initializer, so its Hugging Face name cannot be recovered");
            }
            throw new ConversionException(source + ": " + what + " reaches several bias Adds ("
                    + found.stream().map(BiasLink::prefix).toList() + "); cannot tell which module it belongs to");
        }
        return found.iterator().next();
    }

    private void walkToBias(String value, OnnxTensor scale, int depth, Set<BiasLink> found) throws ConversionException {
        for (OnnxNode c : graph.consumers(value)) {
            if (c.opType().equals("Add") && c.inputs().size() == 2) {
                String other = c.inputs().get(0).equals(value) ? c.inputs().get(1) : c.inputs().get(0);
                if (other.endsWith(".bias") && graph.initializer(other) != null) {
                    found.add(new BiasLink(other.substring(0, other.length() - ".bias".length()), c.outputs().getFirst(), scale));
                }
            } else if (depth < 3 && PASS_THROUGH.contains(c.opType())) {
                OnnxTensor s = scale;
                if (c.opType().equals("Mul")) {
                    s = weightScale(c, value);
                    if (s == null) {
                        continue; // a Mul by an activation, not a dequantization step
                    }
                }
                walkToBias(c.outputs().getFirst(), s, depth + 1, found);
            }
        }
    }

    /**
     * For Mul(value, s): the float initializer scaling the weight, either s itself or one input of the Mul that
     * computed s (x_scale · W_scale). Null if s is not a constant-derived scale.
     */
    private OnnxTensor weightScale(OnnxNode mul, String value) {
        String other = mul.inputs().get(0).equals(value) ? mul.inputs().get(1) : mul.inputs().get(0);
        OnnxTensor direct = graph.initializer(other);
        if (direct != null && direct.dataType() == OnnxDataType.FLOAT) {
            return direct;
        }
        OnnxNode producer = graph.producer(other);
        if (producer != null && producer.opType().equals("Mul")) {
            for (String in : producer.inputs()) {
                OnnxTensor t = graph.initializer(in);
                if (t != null && t.dataType() == OnnxDataType.FLOAT) {
                    return t;
                }
            }
        }
        return null;
    }

    private void addDense(BiasLink link, float[] data, int out, int in, String origin) throws ConversionException {
        OnnxTensor bias = graph.initializer(link.prefix() + ".bias");
        if (bias.elementCount() != out) {
            throw new ConversionException(source + ": '" + link.prefix() + ".bias' has " + bias.elementCount()
                    + " values but the weight recovered as '" + link.prefix() + ".weight' has " + out + " outputs");
        }
        put(new HfTensor(link.prefix() + ".weight", new long[] {out, in}, data, origin));
        biasedOutputs.put(link.prefix(), link.biasedOutput());
    }

    /** Every remaining float initializer that already carries a PyTorch parameter name is kept as is. */
    private void keepNamedInitializers() throws ConversionException, OnnxFormatException {
        for (OnnxTensor t : graph.initializers().values()) {
            if (used.contains(t.name()) || tensors.containsKey(t.name())) {
                continue;
            }
            if (HF_PARAMETER.matcher(t.name()).matches() && t.dataType().isFloatingPoint()) {
                put(new HfTensor(t.name(), t.dims().clone(), t.toFloats(), t.name() + " as stored"));
            } else if (t.name().endsWith("position_ids")) {
                checkPositionIds(t);
            } else if (t.dataType().isFloatingPoint() && t.dims().length == 2) {
                notes.add("ignored unreferenced 2-D initializer '" + t.name() + "' " + Arrays.toString(t.dims()));
            }
        }
    }

    /** position_ids is a buffer, not a parameter; the engine assumes 0..n-1, so anything else is an error. */
    private void checkPositionIds(OnnxTensor t) throws ConversionException, OnnxFormatException {
        long[] ids = t.toLongs();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != i) {
                throw new ConversionException(source + ": '" + t.name() + "'[" + i + "] is " + ids[i]
                        + "; bicross assumes absolute positions 0..n-1");
            }
        }
        notes.add("skipped buffer '" + t.name() + "' (positions 0.." + (ids.length - 1) + ", not a parameter)");
    }

    private void put(HfTensor t) throws ConversionException {
        if (tensors.putIfAbsent(t.name(), t) != null) {
            throw new ConversionException(source + ": two weights recovered as '" + t.name() + "' ("
                    + tensors.get(t.name()).origin() + ", and " + t.origin() + ")");
        }
    }

    // ---- config -------------------------------------------------------------------------------------------------

    private BertConfig deriveConfig(String p) throws ConversionException, OnnxFormatException {
        HfTensor word = require(p + "embeddings.word_embeddings.weight");
        HfTensor position = require(p + "embeddings.position_embeddings.weight");
        HfTensor tokenType = require(p + "embeddings.token_type_embeddings.weight");
        require2d(word);
        require2d(position);
        require2d(tokenType);
        int hidden = (int) word.shape()[1];
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : tensors.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty()) {
            throw new ConversionException(source + ": no '" + p + "encoder.layer.N.*' tensors: not a BERT encoder");
        }
        if (layers.first() != 0 || layers.last() != layers.size() - 1) {
            throw new ConversionException(source + ": encoder layers are " + layers + ", expected 0.." + (layers.size() - 1));
        }
        HfTensor intermediate = require(p + "encoder.layer.0.intermediate.dense.weight");
        int heads = attentionHeads(p, hidden);
        float eps = layerNormEpsilon();
        String act = activation();
        HfTensor classifier = tensors.get("classifier.weight");
        int labels = classifier == null ? 0 : (int) classifier.shape()[0];
        return new BertConfig(labels > 0 ? "BertForSequenceClassification" : "BertModel", layers.size(), hidden, heads,
                (int) intermediate.shape()[0], (int) word.shape()[0], (int) position.shape()[0],
                (int) tokenType.shape()[0], eps, act, 0, labels);
    }

    /**
     * Heads from the Reshape that splits layer 0's query projection into (batch, seq, heads, head_dim): the last two
     * entries of its shape input, resolved through Concat of constants.
     */
    private int attentionHeads(String p, int hidden) throws ConversionException, OnnxFormatException {
        String module = p + "encoder.layer.0.attention.self.query";
        String value = biasedOutputs.get(module);
        if (value == null) {
            throw new ConversionException(source + ": cannot find the output of '" + module + "' in the graph to learn"
                    + " the number of attention heads");
        }
        for (OnnxNode c : graph.consumers(value)) {
            if (c.opType().equals("Reshape") && c.inputs().getFirst().equals(value) && c.inputs().size() > 1) {
                long[] shape = constantVector(c.inputs().get(1));
                if (shape != null && shape.length >= 2) {
                    long heads = shape[shape.length - 2];
                    long headDim = shape[shape.length - 1];
                    if (heads > 0 && headDim > 0 && heads * headDim == hidden) {
                        return (int) heads;
                    }
                    throw new ConversionException(source + ": attention Reshape '" + c.name() + "' splits " + hidden
                            + " into " + heads + " heads of " + headDim + ", which does not multiply back");
                }
            }
        }
        throw new ConversionException(source + ": no Reshape with a constant (heads, head_dim) shape follows '" + module
                + "'; cannot derive num_attention_heads");
    }

    /** The values of a 1-D shape value built from constants; unknown (runtime) entries are -1. Null if not constant. */
    private long[] constantVector(String value) throws OnnxFormatException {
        OnnxTensor t = constant(value);
        if (t != null) {
            return t.toLongs();
        }
        OnnxNode producer = graph.producer(value);
        if (producer == null) {
            return null;
        }
        if (producer.opType().equals("Concat")) {
            List<Long> parts = new ArrayList<>();
            for (String in : producer.inputs()) {
                OnnxTensor c = constant(in);
                if (c != null) {
                    for (long v : c.toLongs()) {
                        parts.add(v);
                    }
                } else {
                    OnnxNode inProducer = graph.producer(in);
                    if (inProducer == null || !inProducer.opType().equals("Unsqueeze")) {
                        return null;
                    }
                    parts.add(-1L); // a runtime dimension (batch or sequence length)
                }
            }
            return parts.stream().mapToLong(Long::longValue).toArray();
        }
        return null;
    }

    /** The tensor behind a value if it is an initializer or a Constant node's {@code value}; else null. */
    private OnnxTensor constant(String value) {
        OnnxTensor init = graph.initializer(value);
        if (init != null) {
            return init;
        }
        OnnxNode producer = graph.producer(value);
        if (producer != null && producer.opType().equals("Constant")) {
            OnnxAttribute a = producer.attribute("value");
            return a == null ? null : a.t();
        }
        return null;
    }

    /**
     * Epsilon from LayerNormalization's attribute, or in a decomposed layer norm the constant added to the variance:
     * Sqrt(Add(ReduceMean(...), eps)). All layer norms must agree.
     */
    private float layerNormEpsilon() throws ConversionException, OnnxFormatException {
        Set<Float> found = new LinkedHashSet<>();
        for (OnnxNode n : graph.nodes()) {
            switch (n.opType()) {
                case "LayerNormalization", "SkipLayerNormalization", "EmbedLayerNormalization" -> {
                    OnnxAttribute a = n.attribute("epsilon");
                    found.add(a == null ? 1e-5f : a.f());
                }
                case "Sqrt" -> {
                    OnnxNode add = graph.producer(n.inputs().getFirst());
                    if (add == null || !add.opType().equals("Add")) {
                        continue;
                    }
                    OnnxNode left = graph.producer(add.inputs().get(0));
                    OnnxNode right = graph.producer(add.inputs().get(1));
                    String epsValue = left != null && left.opType().equals("ReduceMean") ? add.inputs().get(1)
                            : right != null && right.opType().equals("ReduceMean") ? add.inputs().get(0) : null;
                    OnnxTensor eps = epsValue == null ? null : constant(epsValue);
                    if (eps != null && eps.elementCount() == 1 && eps.dataType().isFloatingPoint()) {
                        found.add(eps.toFloats()[0]);
                    }
                }
                default -> {
                }
            }
        }
        if (found.isEmpty()) {
            throw new ConversionException(source + ": no LayerNormalization epsilon found (neither the operator nor the"
                    + " decomposed Sqrt(ReduceMean + eps) pattern); cannot derive layer_norm_eps");
        }
        if (found.size() > 1) {
            throw new ConversionException(source + ": layer norms use different epsilons " + found
                    + "; a BERT config has one layer_norm_eps");
        }
        return found.iterator().next();
    }

    /** Erf (or Gelu) means exact GELU; tanh-approximated GELU is {@code gelu_new}; Relu is relu. */
    private String activation() throws ConversionException {
        Set<String> ops = new HashSet<>();
        for (OnnxNode n : graph.nodes()) {
            ops.add(n.opType());
        }
        if (ops.contains("Erf") || ops.contains("Gelu")) {
            return "gelu";
        }
        if (ops.contains("FastGelu") || ops.contains("BiasGelu") || (ops.contains("Tanh") && ops.contains("Pow"))) {
            return "gelu_new";
        }
        if (ops.contains("Relu")) {
            return "relu";
        }
        throw new ConversionException(source + ": cannot tell the feed-forward activation (no Erf, Gelu, Tanh or Relu"
                + " operator in the graph); cannot derive hidden_act");
    }

    // ---- validation ---------------------------------------------------------------------------------------------

    /** Every parameter a BertModel needs is present with the shape the config implies. */
    private void checkComplete(String p, BertConfig c) throws ConversionException {
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put(p + "embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        expected.put(p + "embeddings.position_embeddings.weight", new long[] {c.maxPositions(), h});
        expected.put(p + "embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        expected.put(p + "embeddings.LayerNorm.weight", new long[] {h});
        expected.put(p + "embeddings.LayerNorm.bias", new long[] {h});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String L = p + "encoder.layer." + l + ".";
            for (String qkv : List.of("query", "key", "value")) {
                expected.put(L + "attention.self." + qkv + ".weight", new long[] {h, h});
                expected.put(L + "attention.self." + qkv + ".bias", new long[] {h});
            }
            expected.put(L + "attention.output.dense.weight", new long[] {h, h});
            expected.put(L + "attention.output.dense.bias", new long[] {h});
            expected.put(L + "attention.output.LayerNorm.weight", new long[] {h});
            expected.put(L + "attention.output.LayerNorm.bias", new long[] {h});
            expected.put(L + "intermediate.dense.weight", new long[] {i, h});
            expected.put(L + "intermediate.dense.bias", new long[] {i});
            expected.put(L + "output.dense.weight", new long[] {h, i});
            expected.put(L + "output.dense.bias", new long[] {h});
            expected.put(L + "output.LayerNorm.weight", new long[] {h});
            expected.put(L + "output.LayerNorm.bias", new long[] {h});
        }
        for (var e : expected.entrySet()) {
            HfTensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new ConversionException(source + ": missing initializer '" + e.getKey() + "' (expected shape "
                        + Arrays.toString(e.getValue()) + ")");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ConversionException(source + ": '" + e.getKey() + "' has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(e.getValue()) + " (from " + t.origin() + ")");
            }
        }
    }

    private HfTensor require(String name) throws ConversionException {
        HfTensor t = tensors.get(name);
        if (t == null) {
            throw new ConversionException(source + ": missing initializer '" + name + "'");
        }
        return t;
    }

    private void require2d(HfTensor t) throws ConversionException {
        if (t.shape().length != 2) {
            throw new ConversionException(source + ": '" + t.name() + "' has shape " + t.shapeString() + ", expected 2-D");
        }
    }

    // ---- small helpers ------------------------------------------------------------------------------------------

    private OnnxTensor initializerInput(OnnxNode node, int index) {
        return index < node.inputs().size() ? graph.initializer(node.inputs().get(index)) : null;
    }

    private void requireFloatMatrix(OnnxNode node, OnnxTensor w) throws ConversionException {
        if (w.dims().length != 2 || !w.dataType().isFloatingPoint()) {
            throw new ConversionException(source + ": " + node.describe() + " weight '" + w.name() + "' is "
                    + w.dataType() + " " + Arrays.toString(w.dims()) + ", expected a 2-D floating-point matrix");
        }
    }

    private float[] perColumn(float[] values, int columns, String name) throws ConversionException {
        if (values.length == columns) {
            return values;
        }
        if (values.length == 1) {
            float[] out = new float[columns];
            Arrays.fill(out, values[0]);
            return out;
        }
        throw new ConversionException(source + ": scale '" + name + "' has " + values.length + " values for "
                + columns + " columns");
    }

    private float[] toFloatsFromInts(OnnxTensor t, int columns) throws ConversionException, OnnxFormatException {
        long[] v = t.toLongs();
        float[] f = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            f[k] = v[k];
        }
        return perColumn(f, columns, t.name());
    }

    /** [rows, cols] row-major → [cols, rows] row-major. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[base + c];
            }
        }
        return t;
    }

    /** Order of a BERT module's parameters in a HF state dict (embeddings, then each layer). */
    private static final List<String> HF_ORDER = List.of(
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
            "attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
            "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias", "attention.output.LayerNorm.weight",
            "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias");

    /** HF state-dict order: embeddings, layers by number (parameters in module order), then the rest (pooler...). */
    private Map<String, HfTensor> sortedLikeHf() {
        List<HfTensor> list = new ArrayList<>(tensors.values());
        list.sort(java.util.Comparator.comparingInt((HfTensor t) -> layerOf(t.name())).thenComparingInt(t -> rankOf(t.name())));
        Map<String, HfTensor> out = new LinkedHashMap<>();
        for (HfTensor t : list) {
            out.put(t.name(), t);
        }
        return out;
    }

    private static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        return name.contains("embeddings.") ? -1 : Integer.MAX_VALUE;
    }

    private static int rankOf(String name) {
        for (int k = 0; k < HF_ORDER.size(); k++) {
            if (name.endsWith(HF_ORDER.get(k))) {
                return k;
            }
        }
        return HF_ORDER.size();
    }
}
