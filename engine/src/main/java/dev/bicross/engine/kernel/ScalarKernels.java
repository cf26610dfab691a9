package dev.bicross.engine.kernel;

import java.util.Objects;

/**
 * The reference implementation of {@link Kernels}: plain loops that read like the equations, single-threaded.
 * It is the oracle the vector kernels are tested against, and the fallback when the Vector API is unavailable.
 *
 * <p>Precision: the oracle should be the exact side of every differential test, so sums (the dot products of
 * {@link #linear} and attention, layer-norm statistics, softmax) and erf are computed in {@code double} and
 * rounded to float once. A float-accumulating oracle would itself be off by tens of ulps on 1536-long dot
 * products, and the tests would measure the sum of both errors rather than the vector kernel's.
 * Thread-safe (stateless).
 */
public final class ScalarKernels implements Kernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String toString() {
        return "scalar";
    }

    @Override
    public PackedWeights pack(float[] weight, int out, int in) {
        checkWeight(weight, out, in);
        return new RowMajorWeights(weight.clone(), out, in);
    }

    @Override
    public PackedWeights pack(float[] weight, int out, int in, Precision precision) {
        checkWeight(weight, out, in);
        return switch (precision) {
            case FP32 -> pack(weight, out, in);
            case INT8, INT8_DYNAMIC -> ScalarInt8.pack(weight, out, in, precision);
        };
    }

    /** W kept as given: (out × in), row-major. */
    record RowMajorWeights(float[] w, int out, int in) implements PackedWeights {
    }

    @Override
    public void linear(float[] x, int rows, PackedWeights packed, float[] bias, Epilogue epilogue, float[] y) {
        if (packed instanceof ScalarInt8.Int8RowWeights int8) {
            checkLinear(x, rows, packed, bias, epilogue, y);
            ScalarInt8.linear(x, rows, int8, bias, epilogue, y);
            return;
        }
        if (!(packed instanceof RowMajorWeights(float[] w, int out, int in))) {
            throw new IllegalArgumentException("linear: weights were packed by another Kernels implementation ("
                    + packed.getClass().getSimpleName() + "), expected scalar");
        }
        checkLinear(x, rows, packed, bias, epilogue, y);
        for (int r = 0; r < rows; r++) {
            int xRow = r * in;
            for (int o = 0; o < out; o++) {
                int wRow = o * in;
                double acc = 0;
                for (int k = 0; k < in; k++) {
                    acc += (double) x[xRow + k] * w[wRow + k];
                }
                if (bias != null) {
                    acc += bias[o];
                }
                y[r * out + o] = apply(epilogue, (float) acc);
            }
        }
    }

    @Override
    public void linearHeadMajor(float[] x, int rows, PackedWeights w, float[] bias, int headDim, float[] y) {
        checkHeadMajor(w, headDim);
        float[] rowMajor = new float[Math.multiplyExact(rows, w.out())];
        linear(x, rows, w, bias, Epilogue.NONE, rowMajor);
        toHeadMajor(rowMajor, rows, w.out(), headDim, y);
    }

    /** Copies a row-major (rows × out) matrix into the head-major layout of {@link #linearHeadMajor}. */
    static void toHeadMajor(float[] rowMajor, int rows, int out, int headDim, float[] y) {
        if (y.length < (long) rows * out) {
            throw new IllegalArgumentException("linearHeadMajor: y has " + y.length + " values, " + rows
                    + " rows × " + out + " needed");
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) {
                y[(c / headDim) * rows * headDim + r * headDim + c % headDim] = rowMajor[r * out + c];
            }
        }
    }

    static void checkHeadMajor(PackedWeights w, int headDim) {
        Objects.requireNonNull(w, "w");
        if (headDim <= 0 || w.out() % headDim != 0) {
            throw new IllegalArgumentException("linearHeadMajor: " + w.out()
                    + " output columns are not a whole number of heads of " + headDim);
        }
    }

    static float apply(Epilogue epilogue, float z) {
        return switch (epilogue) {
            case NONE -> z;
            case GELU -> gelu(z);
            case TANH -> (float) StrictMath.tanh(z); // as the vector kernels: the same bits everywhere
        };
    }

    @Override
    public void addLayerNorm(float[] x, float[] residual, int rows, int dim, float[] gamma, float[] beta, float eps) {
        checkLayerNorm(x, residual, rows, dim, gamma, beta, eps);
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            if (residual != null) {
                for (int i = 0; i < dim; i++) {
                    x[base + i] += residual[base + i];
                }
            }
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                sum += x[base + i];
            }
            double mean = sum / dim;
            double squares = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[base + i] - mean;
                squares += d * d;
            }
            double invStd = 1.0 / Math.sqrt(squares / dim + eps); // biased variance, as torch.nn.LayerNorm
            for (int i = 0; i < dim; i++) {
                x[base + i] = (float) ((x[base + i] - mean) * invStd * gamma[i] + beta[i]);
            }
        }
    }

    @Override
    public void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        checkAttention(qkv, seqOffsets, heads, headDim, out);
        attention(qkv, seqOffsets, heads, headDim, out, false);
    }

    @Override
    public void attentionFirstTokens(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        checkAttentionFirstTokens(qkv, seqOffsets, heads, headDim, out);
        attention(qkv, seqOffsets, heads, headDim, out, true);
    }

    /** Attention of every token, or ({@code firstOnly}) of each sequence's first token into row s of out. */
    private static void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out,
                                  boolean firstOnly) {
        int hidden = heads * headDim;
        int tokens = seqOffsets[seqOffsets.length - 1];
        int block = tokens * headDim; // one head's queries (or keys, or values) of all tokens
        double scale = 1.0 / Math.sqrt(headDim);
        for (int s = 0; s + 1 < seqOffsets.length; s++) {
            int first = seqOffsets[s];
            int length = seqOffsets[s + 1] - first;
            double[] p = new double[length];
            for (int h = 0; h < heads; h++) {
                int qBase = h * block;
                int kBase = (heads + h) * block;
                int vBase = (2 * heads + h) * block;
                for (int i = 0; i < (firstOnly ? Math.min(1, length) : length); i++) {
                    int qRow = qBase + (first + i) * headDim;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < length; j++) {
                        int kRow = kBase + (first + j) * headDim;
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += (double) qkv[qRow + d] * qkv[kRow + d];
                        }
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < length; j++) {
                        p[j] = Math.exp(p[j] - max); // shifted by the row max: no overflow, same softmax
                        sum += p[j];
                    }
                    int outRow = (firstOnly ? s : first + i) * hidden + h * headDim;
                    for (int d = 0; d < headDim; d++) {
                        double acc = 0;
                        for (int j = 0; j < length; j++) {
                            acc += p[j] * qkv[vBase + (first + j) * headDim + d];
                        }
                        out[outRow + d] = (float) (acc / sum);
                    }
                }
            }
        }
    }

    /**
     * GELU, exact erf form: 0.5·z·(1 + erf(z/√2)), evaluated in double as 0.5·z·erfc(−z/√2), which keeps its
     * relative accuracy for very negative z where 1 + erf would cancel.
     */
    public static float gelu(float z) {
        return (float) (0.5 * z * erfc(-z / Math.sqrt(2.0)));
    }

    /** The complementary error function 1 − erf(x), with relative accuracy in the right tail. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x >= 3.0) {
            return erfcLarge(x);
        }
        if (x <= -3.0) {
            return 2.0 - erfcLarge(-x);
        }
        return 1.0 - erf(x);
    }

    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    /**
     * The error function to about double precision (Java has no {@code Math.erf}). For |x| &lt; 3 the series
     * erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)), whose terms are all positive (no cancellation); beyond,
     * erfc from its continued fraction e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), which converges fast there.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax < 3.0) {
            double twoX2 = 2 * x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 200; n++) {
                term *= twoX2 / (2 * n + 1);
                sum += term;
                if (Math.abs(term) <= 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
        }
        double erfc = erfcLarge(ax);
        return x > 0 ? 1.0 - erfc : erfc - 1.0;
    }

    /** erfc(x) for x ≥ 3 by its continued fraction, evaluated backwards from a fixed depth. */
    static double erfcLarge(double x) {
        if (x > 27) {
            return 0.0; // below the smallest double
        }
        double f = x;
        for (int n = 80; n >= 1; n--) {
            f = x + (n * 0.5) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    // ---- argument checks shared by the implementations: clear messages instead of index errors deep in a loop

    static void checkWeight(float[] weight, int out, int in) {
        Objects.requireNonNull(weight, "weight");
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException("pack: weight shape must be positive, got (" + out + " × " + in + ")");
        }
        if ((long) out * in != weight.length) {
            throw new IllegalArgumentException("pack: weight has " + weight.length + " values, shape (" + out
                    + " × " + in + ") needs " + (long) out * in);
        }
    }

    static void checkLinear(float[] x, int rows, PackedWeights w, float[] bias, Epilogue epilogue, float[] y) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(epilogue, "epilogue");
        if (rows < 0) {
            throw new IllegalArgumentException("linear: rows must be >= 0, got " + rows);
        }
        if (x.length < (long) rows * w.in()) {
            throw new IllegalArgumentException("linear: x has " + x.length + " values, " + rows + " rows × "
                    + w.in() + " inputs need " + (long) rows * w.in());
        }
        if (y.length < (long) rows * w.out()) {
            throw new IllegalArgumentException("linear: y has " + y.length + " values, " + rows + " rows × "
                    + w.out() + " outputs need " + (long) rows * w.out());
        }
        if (bias != null && bias.length != w.out()) {
            throw new IllegalArgumentException("linear: bias has " + bias.length + " values, expected " + w.out());
        }
        if (x == y) {
            throw new IllegalArgumentException("linear: x and y must not be the same array");
        }
    }

    static void checkLayerNorm(float[] x, float[] residual, int rows, int dim, float[] gamma, float[] beta,
                               float eps) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        if (rows < 0 || dim <= 0) {
            throw new IllegalArgumentException("addLayerNorm: bad shape (" + rows + " × " + dim + ")");
        }
        if (x.length < (long) rows * dim) {
            throw new IllegalArgumentException("addLayerNorm: x has " + x.length + " values, " + rows + " × "
                    + dim + " needed");
        }
        if (residual != null && residual.length < (long) rows * dim) {
            throw new IllegalArgumentException("addLayerNorm: residual has " + residual.length + " values, "
                    + rows + " × " + dim + " needed");
        }
        if (gamma.length != dim || beta.length != dim) {
            throw new IllegalArgumentException("addLayerNorm: gamma/beta have " + gamma.length + "/" + beta.length
                    + " values, expected " + dim);
        }
        if (!(eps >= 0)) {
            throw new IllegalArgumentException("addLayerNorm: eps must be >= 0, got " + eps);
        }
    }

    static void checkAttentionFirstTokens(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        Objects.requireNonNull(out, "out");
        checkAttentionInputs(qkv, seqOffsets, heads, headDim);
        for (int s = 0; s + 1 < seqOffsets.length; s++) {
            if (seqOffsets[s + 1] == seqOffsets[s]) {
                throw new IllegalArgumentException("attentionFirstTokens: sequence " + s
                        + " is empty: it has no first token");
            }
        }
        long rows = seqOffsets.length - 1;
        if (out.length < rows * heads * headDim) {
            throw new IllegalArgumentException("attentionFirstTokens: out has " + out.length + " values, " + rows
                    + " sequences × " + (long) heads * headDim + " needed");
        }
    }

    static void checkAttention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        Objects.requireNonNull(out, "out");
        checkAttentionInputs(qkv, seqOffsets, heads, headDim);
        long tokens = seqOffsets[seqOffsets.length - 1];
        long hidden = (long) heads * headDim;
        if (out.length < tokens * hidden) {
            throw new IllegalArgumentException("attention: out has " + out.length + " values, " + tokens
                    + " tokens × " + hidden + " needed");
        }
    }

    private static void checkAttentionInputs(float[] qkv, int[] seqOffsets, int heads, int headDim) {
        Objects.requireNonNull(qkv, "qkv");
        Objects.requireNonNull(seqOffsets, "seqOffsets");
        if (heads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("attention: heads and headDim must be positive, got " + heads
                    + " and " + headDim);
        }
        if (seqOffsets.length == 0 || seqOffsets[0] != 0) {
            throw new IllegalArgumentException("attention: seqOffsets must start with 0");
        }
        for (int s = 1; s < seqOffsets.length; s++) {
            if (seqOffsets[s] < seqOffsets[s - 1]) {
                throw new IllegalArgumentException("attention: seqOffsets must be non-decreasing, got "
                        + seqOffsets[s - 1] + " then " + seqOffsets[s] + " at index " + s);
            }
        }
        long tokens = seqOffsets[seqOffsets.length - 1];
        long hidden = (long) heads * headDim;
        if (qkv.length < tokens * 3 * hidden) {
            throw new IllegalArgumentException("attention: qkv has " + qkv.length + " values, " + tokens
                    + " tokens × 3·" + hidden + " needed");
        }
    }
}
