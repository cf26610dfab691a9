package dev.bicross.engine.kernel;

import java.util.Locale;

/**
 * How the encoder's linear layers (QKV, attention output, FFN up and down) store and multiply their weights.
 * Embeddings, LayerNorm, attention (softmax) and the classifier head always stay in FP32.
 */
public enum Precision {

    /** FP32 weights and activations: exact against the reference runtimes. The default. */
    FP32,

    /**
     * Weights quantized to int8 at load, one symmetric scale per output channel (row of W = max|row| / 127);
     * activations stay FP32 and the weights are widened to float inside the GEMM micro-kernel. A quarter of the
     * weight memory and bandwidth; embeddings move slightly (cosine to FP32 ≥ 0.99, see the README).
     */
    INT8,

    /**
     * {@link #INT8} weights and, in addition, each activation row quantized to int8 on the fly (symmetric,
     * per row) with integer dot products widened byte → short → int. Measured slower and less accurate than
     * {@link #INT8} on AVX2 (benchmarks/README.md); kept for measurement on other CPUs.
     */
    INT8_DYNAMIC;

    /** The lower-case name used on the command line and in index metadata: {@code fp32}, {@code int8}, … */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses {@link #id()} (case-insensitive; {@code _} and {@code -} alike).
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    public static Precision parse(String value) {
        String normalised = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Precision p : values()) {
            if (p.name().equals(normalised)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + value + "' (bicross supports fp32, int8, "
                + "int8-dynamic)");
    }
}
