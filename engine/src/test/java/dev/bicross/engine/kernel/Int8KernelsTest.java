package dev.bicross.engine.kernel;

import static dev.bicross.engine.kernel.VectorKernelsDifferentialTest.assertClose;
import static dev.bicross.engine.kernel.VectorKernelsDifferentialTest.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The int8 paths: the quantizer on hand-worked values, the vector int8 GEMMs against their scalar twin on odd
 * shapes, and the scalar int8 result against FP32 within the bound that per-row rounding implies.
 */
class Int8KernelsTest {

    private static final int[] ROWS = {1, 3, 17, 129};
    private static final int[] SIZES = {1, 7, 33, 385};

    private final ScalarKernels scalar = new ScalarKernels();

    @Test
    void quantizesEachRowSymmetricallyWithRoundHalfEven() {
        float[] w = {1f, -0.5f, 0.25f, 0f, /* row 2 */ 0f, 0f, 0f, 0f, /* row 3 */ -2f, 1f, 0.5f, 0.0078125f};
        QuantizedRows q = QuantizedRows.of(w, 3, 4);
        // row 1: scale 1/127; −0.5·127 = −63.5 rounds to even −64; 0.25·127 = 31.75 → 32
        assertArrayEquals(new byte[]{127, -64, 32, 0, 0, 0, 0, 0, -127, 64, 32, 0}, q.q());
        assertEquals(1f / 127, q.scale()[0], 1e-9);
        assertEquals(0f, q.scale()[1], "an all-zero row has scale 0");
        assertEquals(2f / 127, q.scale()[2], 1e-9); // row 3: 1·63.5 → 64 (even), 0.5·63.5 = 31.75 → 32, 0.5 → 0
    }

    @Test
    void nonFiniteWeightIsRefusedWithItsValue() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> scalar.pack(new float[]{1f, Float.NaN}, 1, 2, Precision.INT8));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"INT8,1", "INT8,2", "INT8_DYNAMIC,1", "INT8_DYNAMIC,2"})
    void vectorMatchesScalarTwinOnOddShapes(Precision precision, int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(11);
        for (int rows : ROWS) {
            for (int in : SIZES) {
                for (int out : SIZES) {
                    for (Epilogue epilogue : Epilogue.values()) {
                        check(vector, precision, random, rows, in, out, epilogue, random.nextBoolean());
                    }
                }
            }
        }
    }

    /** K longer than a K block, more rows than a row block, the model's four linear shapes. */
    @ParameterizedTest
    @CsvSource({"INT8,1", "INT8,2", "INT8_DYNAMIC,1", "INT8_DYNAMIC,2"})
    void vectorMatchesScalarTwinOnModelShapes(Precision precision, int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(12);
        check(vector, precision, random, 131, 1536, 384, Epilogue.NONE, true);
        check(vector, precision, random, 70, 384, 1536, Epilogue.GELU, true);
        check(vector, precision, random, 5, 384, 1152, Epilogue.NONE, true);
        check(vector, precision, random, 10, 385, 383, Epilogue.TANH, true);
    }

    /**
     * The vector kernel sums in float where the twin sums in double (weight-only) or exactly in int32 (dynamic,
     * where only the final scaling rounds): allowed 2.5e-7·K absolute + 1e-5 relative, as the FP32 kernel. An
     * activation code off by one (a rounding mismatch) or a wrong index costs ~1e-2, far above that.
     */
    private void check(VectorKernels vector, Precision precision, Random random, int rows, int in, int out,
                       Epilogue epilogue, boolean withBias) {
        float[] w = uniform(random, out * in, 1f);
        float[] x = uniform(random, rows * in, 1f);
        float[] bias = withBias ? uniform(random, out, 1f) : null;
        float[] expected = new float[rows * out];
        scalar.linear(x, rows, scalar.pack(w, out, in, precision), bias, epilogue, expected);
        float[] actual = new float[rows * out + 5];
        Arrays.fill(actual, Float.NaN);
        vector.linear(x, rows, vector.pack(w, out, in, precision), bias, epilogue, actual);
        String what = precision + " " + vector.name() + "/" + vector.threads() + "t rows=" + rows + " in=" + in
                + " out=" + out + " " + epilogue + (withBias ? " +bias" : "");
        assertClose(what, expected, actual, rows * out, 2.5e-7 * in, 1e-5);
        for (int i = rows * out; i < actual.length; i++) {
            if (!Float.isNaN(actual[i])) {
                fail(what + ": wrote past the output at " + i);
            }
        }
    }

    /**
     * Weight-only int8 against FP32, both scalar: each weight moves by at most half a step (scale/2), so
     * |y_int8 − y_fp32| ≤ scale[o]/2 · Σ_k |x_k| (plus float rounding). A quantizer with the wrong scale or
     * rounding breaks the bound.
     */
    @Test
    void weightOnlyErrorStaysWithinHalfAStepPerWeight() {
        Random random = new Random(3);
        int rows = 9;
        int in = 200;
        int out = 37;
        float[] w = uniform(random, out * in, 0.3f);
        float[] x = uniform(random, rows * in, 2f);
        float[] fp32 = new float[rows * out];
        float[] int8 = new float[rows * out];
        scalar.linear(x, rows, scalar.pack(w, out, in), null, Epilogue.NONE, fp32);
        scalar.linear(x, rows, scalar.pack(w, out, in, Precision.INT8), null, Epilogue.NONE, int8);
        QuantizedRows q = QuantizedRows.of(w, out, in);
        double worstUse = 0;
        for (int r = 0; r < rows; r++) {
            double sumAbs = 0;
            for (int k = 0; k < in; k++) {
                sumAbs += Math.abs(x[r * in + k]);
            }
            for (int o = 0; o < out; o++) {
                double bound = q.scale()[o] / 2 * sumAbs + 1e-5;
                double diff = Math.abs(int8[r * out + o] - fp32[r * out + o]);
                assertTrue(diff <= bound, "row " + r + " col " + o + ": |int8 − fp32| = " + diff + " > " + bound);
                worstUse = Math.max(worstUse, diff / bound);
            }
        }
        assertTrue(worstUse > 0.001, "int8 and fp32 agree suspiciously well: weights were not quantized?");
    }

    @Test
    void weightsFromAnotherImplementationAreRefused() {
        VectorKernels vector = new VectorKernels(1);
        float[] w = new float[16];
        PackedWeights vectorInt8 = vector.pack(w, 4, 4, Precision.INT8);
        PackedWeights scalarInt8 = scalar.pack(w, 4, 4, Precision.INT8);
        assertThrows(IllegalArgumentException.class,
                () -> scalar.linear(new float[4], 1, vectorInt8, null, Epilogue.NONE, new float[4]));
        assertThrows(IllegalArgumentException.class,
                () -> vector.linear(new float[4], 1, scalarInt8, null, Epilogue.NONE, new float[4]));
    }

    @Test
    void precisionParsesCommandLineNames() {
        assertEquals(Precision.INT8, Precision.parse("int8"));
        assertEquals(Precision.INT8_DYNAMIC, Precision.parse("INT8-dynamic"));
        assertEquals(Precision.FP32, Precision.parse(" fp32 "));
        assertEquals("int8-dynamic", Precision.INT8_DYNAMIC.id());
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("int4"));
        assertTrue(e.getMessage().contains("'int4'"), e.getMessage());
    }
}
