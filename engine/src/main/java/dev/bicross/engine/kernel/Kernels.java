package dev.bicross.engine.kernel;

/**
 * The numeric operations of a BERT encoder on packed activations. Activations are row-major {@code float[]}
 * with one row per token; the sequences of a batch are packed back to back with no padding, and
 * {@code seqOffsets} (length = sequences + 1) gives each sequence's first row.
 *
 * <p>Two implementations: a scalar one, the readable reference and the test oracle, and a Vector API one.
 * Implementations are thread-safe and may parallelise internally.
 */
public interface Kernels {

    /**
     * The process-wide kernels, chosen once from system properties and logged once:
     * {@code bicross.kernels} = {@code vector} (default; falls back to scalar with one log line when the Vector API
     * is unavailable) or {@code scalar}; {@code bicross.threads} = worker threads for the vector kernels (default:
     * available processors); {@code bicross.vectorBits} = 256 or 512 (default: the platform's preferred width).
     */
    static Kernels create() {
        return KernelSelection.shared();
    }

    /** Short name for logs and benchmarks, e.g. {@code "scalar"} or {@code "vector-512"}. */
    String name();

    /** Repacks W (out × in, row-major, PyTorch orientation) for {@link #linear}; called once per weight at load. */
    PackedWeights pack(float[] weight, int out, int in);

    /**
     * Repacks W for {@link #linear} at the given precision: {@link Precision#FP32} is {@link #pack(float[], int, int)};
     * the int8 precisions quantize W per output row at this point (and {@link #linear} then runs the int8 path).
     */
    PackedWeights pack(float[] weight, int out, int in, Precision precision);

    /**
     * y (rows × out) = epilogue(x (rows × in) · Wᵀ + bias). {@code bias} may be null.
     * {@code x} and {@code y} must not overlap.
     */
    void linear(float[] x, int rows, PackedWeights w, float[] bias, Epilogue epilogue, float[] y);

    /**
     * x = LayerNorm(x + residual) row by row over {@code dim} features, in place; {@code residual} may be null.
     * LayerNorm(z) = (z − mean) / sqrt(var + eps) · gamma + beta, with the biased variance.
     */
    void addLayerNorm(float[] x, float[] residual, int rows, int dim, float[] gamma, float[] beta, float eps);

    /**
     * y = x · Wᵀ + bias (no activation), stored head-major for {@link #attention}: the {@code out} output columns
     * fall into blocks of {@code headDim} (for the fused projection: the query, key and value of each head, in
     * that order), and block b is a contiguous (rows × headDim) matrix at {@code y[b · rows · headDim]}, so
     * column c of row r is at {@code y[(c / headDim) · rows · headDim + r · headDim + c % headDim]}.
     * {@code out} must be a multiple of {@code headDim}. Attention then reads each head's keys and values as one
     * contiguous run instead of a slice of every row.
     */
    void linearHeadMajor(float[] x, int rows, PackedWeights w, float[] bias, int headDim, float[] y);

    /**
     * Bidirectional multi-head self-attention over packed sequences. {@code qkv} is the fused projection of all
     * {@code tokens = seqOffsets[last]} tokens in the head-major layout of {@link #linearHeadMajor}: 3 · heads
     * blocks of (tokens × headDim), the queries of heads 0 … heads−1, then their keys, then their values.
     * Each token attends to every token of its own sequence: out = softmax(q·kᵀ / √headDim) · v per head,
     * written to {@code out} (tokens × heads · headDim, row-major) with heads side by side.
     */
    void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out);

    /**
     * {@link #attention} for the first token of each sequence only (a [CLS]-only last layer): every token still
     * serves as a key and a value, and row s of {@code out} (sequences × heads · headDim) is the attention output
     * of sequence s's first token, bitwise the row {@code seqOffsets[s]} of {@link #attention}. Sequences must
     * not be empty.
     */
    void attentionFirstTokens(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out);
}
