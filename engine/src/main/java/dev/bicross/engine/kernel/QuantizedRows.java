package dev.bicross.engine.kernel;

/**
 * A matrix quantized row by row to int8 with one symmetric scale per row: {@code value ≈ q · scale}, with
 * {@code scale = max|row| / 127} and {@code q = rint(value / scale)} in [−127, 127] (−128 is never used, so
 * the integer kernels can add two products in 16 bits without overflow). An all-zero row has scale 0.
 *
 * <p>Applied to W (out × in) this is per-output-channel weight quantization; applied to an activation row it is
 * the dynamic quantization of {@link Precision#INT8_DYNAMIC}. Both the scalar and the vector kernels quantize
 * with the same float operations ({@link #inverseScale}, then a round-half-even of {@code value · inverse}), so
 * their integer codes are identical.
 *
 * @param q     (rows × cols) codes, row-major
 * @param scale (rows) the dequantization scale of each row
 */
record QuantizedRows(byte[] q, float[] scale, int rows, int cols) {

    /** The largest code; symmetric, so −127 is the smallest. */
    static final int MAX_CODE = 127;

    static QuantizedRows of(float[] values, int rows, int cols) {
        byte[] q = new byte[Math.multiplyExact(rows, cols)];
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            scale[r] = quantizeRow(values, r * cols, cols, q, r * cols);
        }
        return new QuantizedRows(q, scale, rows, cols);
    }

    /** Quantizes {@code values[from … from+n)} into {@code codes[to …]}; returns the row's scale. */
    static float quantizeRow(float[] values, int from, int n, byte[] codes, int to) {
        float max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(values[from + i]));
        }
        float inverse = inverseScale(max);
        for (int i = 0; i < n; i++) {
            codes[to + i] = code(values[from + i], inverse);
        }
        return max / MAX_CODE;
    }

    /** 127 / max|row|, or 0 for an all-zero row (every code 0). */
    static float inverseScale(float maxAbs) {
        if (!Float.isFinite(maxAbs)) {
            throw new IllegalArgumentException("int8 quantization: row holds a non-finite value (" + maxAbs + ")");
        }
        return maxAbs == 0 ? 0 : MAX_CODE / maxAbs;
    }

    /** rint(value · inverse), clamped to ±127 (the product can exceed 127 by one rounding of the division). */
    static byte code(float value, float inverse) {
        float scaled = (float) Math.rint(value * inverse);
        return (byte) Math.max(-MAX_CODE, Math.min(MAX_CODE, scaled));
    }
}
