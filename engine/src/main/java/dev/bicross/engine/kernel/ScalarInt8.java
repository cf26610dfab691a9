package dev.bicross.engine.kernel;

/**
 * The scalar twin of the int8 GEMMs ({@link Int8Gemm}, {@link Int8DynamicGemm}), used by {@link ScalarKernels}:
 * plain loops on row-major codes, sums in double (integer sums in long), the oracle of the differential tests.
 * Stateless.
 */
final class ScalarInt8 {

    private ScalarInt8() {
    }

    /** W quantized per output row, kept row-major (out × in), for {@link Precision#INT8} or INT8_DYNAMIC. */
    record Int8RowWeights(QuantizedRows w, Precision precision) implements PackedWeights {
        @Override
        public int out() {
            return w.rows();
        }

        @Override
        public int in() {
            return w.cols();
        }
    }

    static Int8RowWeights pack(float[] weight, int out, int in, Precision precision) {
        return new Int8RowWeights(QuantizedRows.of(weight, out, in), precision);
    }

    /** y (rows × out) = epilogue(x · (q·scale)ᵀ + bias), activations quantized too for INT8_DYNAMIC. */
    static void linear(float[] x, int rows, Int8RowWeights packed, float[] bias, Epilogue epilogue, float[] y) {
        byte[] q = packed.w().q();
        float[] scale = packed.w().scale();
        int in = packed.in();
        int out = packed.out();
        boolean dynamic = packed.precision() == Precision.INT8_DYNAMIC;
        byte[] xq = new byte[in];
        for (int r = 0; r < rows; r++) {
            int xRow = r * in;
            float xScale = dynamic ? QuantizedRows.quantizeRow(x, xRow, in, xq, 0) : 1f;
            for (int o = 0; o < out; o++) {
                int wRow = o * in;
                double acc;
                if (dynamic) {
                    long dot = 0;
                    for (int k = 0; k < in; k++) {
                        dot += xq[k] * q[wRow + k];
                    }
                    acc = (double) dot * xScale * scale[o];
                } else {
                    double dot = 0;
                    for (int k = 0; k < in; k++) {
                        dot += (double) x[xRow + k] * q[wRow + k];
                    }
                    acc = dot * scale[o];
                }
                if (bias != null) {
                    acc += bias[o];
                }
                y[r * out + o] = ScalarKernels.apply(epilogue, (float) acc);
            }
        }
    }
}
