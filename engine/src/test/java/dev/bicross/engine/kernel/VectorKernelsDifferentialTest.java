package dev.bicross.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every vector kernel against its scalar twin on random inputs and odd shapes (sizes that are not multiples of
 * the vector width, single rows, row counts that leave tails in the micro-kernel and the row blocks).
 * Tolerances are |vector − scalar| ≤ abs + rel·|scalar|, stated per kernel; failures print the largest
 * difference and where it is.
 */
class VectorKernelsDifferentialTest {

    private static final int[] ROWS = {1, 3, 10, 17, 129};
    private static final int[] SIZES = {1, 7, 33, 385};

    private final ScalarKernels scalar = new ScalarKernels();

    /**
     * Inputs uniform in [−1, 1]. The scalar twin accumulates in double; the vector kernel accumulates each output
     * in float over k, whose rounding grows with the reduction length K: allowed 1e-6·Σ|x·w| ≈ 2.5e-7·K absolute
     * (about 16 float ulps of the sum of magnitudes) + 1e-5 relative, while an indexing mistake is of order 1.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linearMatchesScalarOnOddShapes(int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(42);
        for (int rows : ROWS) {
            for (int in : SIZES) {
                for (int out : SIZES) {
                    for (Epilogue epilogue : Epilogue.values()) {
                        boolean withBias = random.nextBoolean();
                        checkLinear(vector, random, rows, in, out, epilogue, withBias);
                    }
                }
            }
        }
    }

    /** Reductions longer than the K block, more rows than a row block, full panels: the model's FFN-down shape. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linearMatchesScalarOnModelShapes(int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(7);
        checkLinear(vector, random, 131, 1536, 384, Epilogue.NONE, true);
        checkLinear(vector, random, 70, 384, 1536, Epilogue.GELU, true);
        checkLinear(vector, random, 5, 384, 1152, Epilogue.NONE, true);
        checkLinear(vector, random, 2, 384, 384, Epilogue.TANH, true);
    }

    private void checkLinear(VectorKernels vector, Random random, int rows, int in, int out, Epilogue epilogue,
                             boolean withBias) {
        float[] w = uniform(random, out * in, 1f);
        float[] x = uniform(random, rows * in, 1f);
        float[] bias = withBias ? uniform(random, out, 1f) : null;
        float[] expected = new float[rows * out];
        scalar.linear(x, rows, scalar.pack(w, out, in), bias, epilogue, expected);
        float[] actual = new float[rows * out + 5]; // spare room must stay untouched
        java.util.Arrays.fill(actual, Float.NaN);
        vector.linear(x, rows, vector.pack(w, out, in), bias, epilogue, actual);
        String what = "linear " + vector.name() + "/" + vector.threads() + "t rows=" + rows + " in=" + in
                + " out=" + out + " " + epilogue + (withBias ? " +bias" : "");
        assertClose(what, expected, actual, rows * out, 2.5e-7 * in, 1e-5);
        for (int i = rows * out; i < actual.length; i++) {
            if (!Float.isNaN(actual[i])) {
                fail(what + ": wrote past the output at " + i);
            }
        }
    }

    /**
     * A row's result must not depend on how many rows share the call: row tails of up to four rows run on a
     * shorter micro-kernel than full tiles of six, and with 512-bit vectors tiles of seven to twelve rows on the
     * wide 12-row one (except in a partial last panel), all with the same sums in the same order, so every prefix
     * of a 12-row call (and of a 60-row one, two row blocks; and of one whose last panel is partial) must give the
     * same bits as the whole call.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void rowTailsGiveTheSameBitsAsFullTiles(int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(11);
        for (int[] shape : new int[][] {{12, 384, 1536}, {60, 1536, 384}, {12, 33, 40}, {26, 100, 50}}) {
            int all = shape[0];
            int in = shape[1];
            int out = shape[2];
            float[] x = uniform(random, all * in, 1f);
            PackedWeights w = vector.pack(uniform(random, out * in, 1f), out, in);
            float[] bias = uniform(random, out, 1f);
            float[] whole = new float[all * out];
            vector.linear(x, all, w, bias, Epilogue.GELU, whole);
            for (int rows = 1; rows < all; rows++) {
                float[] part = new float[rows * out];
                vector.linear(x, rows, w, bias, Epilogue.GELU, part);
                for (int i = 0; i < part.length; i++) {
                    if (Float.floatToRawIntBits(part[i]) != Float.floatToRawIntBits(whole[i])) {
                        fail("linear " + in + "->" + out + ", " + threads + "t: row " + i / out + " column " + i % out
                                + " is " + part[i] + " in a call of " + rows + " rows but " + whole[i] + " in one of "
                                + all);
                    }
                }
            }
        }
    }

    /** Concurrent callers share one worker pool: each must still get its own, correct result. */
    @Test
    void concurrentCallsOnOneInstanceStayIndependent() throws Exception {
        VectorKernels vector = new VectorKernels(2);
        int rows = 100;
        int in = 96;
        int out = 80;
        Random random = new Random(5);
        float[] w = uniform(random, out * in, 1f);
        PackedWeights shared = vector.pack(w, out, in);
        PackedWeights reference = scalar.pack(w, out, in);
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int c = 0; c < 6; c++) {
                float[] x = uniform(new Random(100 + c), rows * in, 1f);
                results.add(callers.submit(() -> {
                    float[] expected = new float[rows * out];
                    scalar.linear(x, rows, reference, null, Epilogue.GELU, expected);
                    for (int repeat = 0; repeat < 20; repeat++) {
                        float[] actual = new float[rows * out];
                        vector.linear(x, rows, shared, null, Epilogue.GELU, actual);
                        assertClose("concurrent linear", expected, actual, actual.length, 2.5e-7 * in, 1e-5);
                    }
                    return "ok";
                }));
            }
            for (var result : results) {
                result.get();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /** Two-pass float statistics vs the scalar double ones: 1e-5 absolute on outputs of order 1–10. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void layerNormMatchesScalar(int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(3);
        for (int rows : ROWS) {
            for (int dim : new int[] {1, 7, 33, 384, 385}) {
                for (boolean withResidual : new boolean[] {false, true}) {
                    float[] x = uniform(random, rows * dim, 4f);
                    for (int i = 0; i < x.length; i++) {
                        x[i] += 3f; // an offset, so the mean matters
                    }
                    float[] residual = withResidual ? uniform(random, rows * dim, 1f) : null;
                    float[] gamma = uniform(random, dim, 2f);
                    float[] beta = uniform(random, dim, 1f);
                    float[] expected = x.clone();
                    float[] actual = x.clone();
                    scalar.addLayerNorm(expected, residual, rows, dim, gamma, beta, 1e-12f);
                    vector.addLayerNorm(actual, residual, rows, dim, gamma, beta, 1e-12f);
                    assertClose("layerNorm rows=" + rows + " dim=" + dim + (withResidual ? " +residual" : ""),
                            expected, actual, expected.length, 1e-5, 1e-5);
                }
            }
        }
    }

    /**
     * Packed sequences of lengths 1, 3, 17, 129 and an empty one; head sizes that fill, miss and overrun the vector
     * width. Inputs in [−3, 3] make scores up to ~±40 and a peaky softmax; a score's float rounding (~40·6e-8)
     * becomes a relative error of its weight through exp, so 1e-5 absolute (outputs are averages of values of
     * order 1) + 1e-5 relative.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void attentionMatchesScalar(int threads) {
        VectorKernels vector = new VectorKernels(threads);
        Random random = new Random(11);
        int[] seqOffsets = {0, 1, 4, 4, 21, 150};
        int tokens = seqOffsets[seqOffsets.length - 1];
        for (int heads : new int[] {1, 3}) {
            for (int headDim : new int[] {1, 7, 32, 33, 64}) {
                float[] qkv = uniform(random, tokens * 3 * heads * headDim, 3f);
                float[] expected = new float[tokens * heads * headDim];
                float[] actual = new float[expected.length];
                scalar.attention(qkv, seqOffsets, heads, headDim, expected);
                vector.attention(qkv, seqOffsets, heads, headDim, actual);
                assertClose("attention heads=" + heads + " headDim=" + headDim, expected, actual, expected.length,
                        1e-5, 1e-5);
            }
        }
    }

    /**
     * Vector GELU (float fit of ln erfc) against the double-precision scalar one on a dense grid over [−10, 10]:
     * relative 6e-7 for z ≥ −3, where |GELU| ≥ 0.004 (observed worst ≈ 4.9e-7, from the exponent's rounding); further
     * left, where GELU falls from 0.004 to 1e-23, 2e-9 absolute plus 2e-6 relative (the same rounding on an exponent up
     * to −24, then 0 below z = −6.5). Also the special values: NaN, ±∞, ±0.
     */
    @Test
    void geluMatchesScalar() {
        int n = 200_001;
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = -10f + i * 1e-4f;
        }
        int left = 70_000; // z[left] = −3
        float[] expected = new float[n];
        float[] actual = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = ScalarKernels.gelu(z[i]);
            actual[i] = VectorMath.geluLane(z[i]);
        }
        float[] rightExpected = Arrays.copyOfRange(expected, left, n);
        float[] rightActual = Arrays.copyOfRange(actual, left, n);
        assertClose("gelu z >= -3", rightExpected, rightActual, rightExpected.length, 1e-40, 6e-7);
        assertClose("gelu z < -3", expected, actual, left, 2e-9, 2e-6);
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 30f, -30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] expectedSpecial = {0f, -0f, 0.5e-30f, -0.5e-30f, 30f, 0f, Float.POSITIVE_INFINITY, 0f};
        float[] actualSpecial = new float[special.length];
        for (int i = 0; i < special.length; i++) {
            actualSpecial[i] = VectorMath.geluLane(special[i]);
        }
        assertClose("gelu of special values", expectedSpecial, actualSpecial, special.length, 1e-40, 6e-7);
        assertTrue(Float.isNaN(VectorMath.geluLane(Float.NaN)), "gelu(NaN) is NaN");
    }

    /**
     * The whole-range GELU (chunks of two passes through a scratch) gives bitwise what one vector at a time
     * gives, for ranges that start off a vector boundary, cross chunk boundaries and end in a tail; values
     * outside the range are untouched.
     */
    @Test
    void geluOverRangesMatchesOneVectorAtATime() {
        Random random = new Random(7);
        float[] z = new float[3 * 256 + 13];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (random.nextGaussian() * 4);
        }
        int[][] ranges = {{0, z.length}, {3, z.length - 5}, {1, 257}, {0, 7}, {256, 512}};
        for (int[] range : ranges) {
            float[] a = z.clone();
            VectorMath.geluInPlace(a, range[0], range[1]);
            for (int i = 0; i < z.length; i++) {
                float expected = i >= range[0] && i < range[1] ? VectorMath.geluLane(z[i]) : z[i];
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(expected)) {
                    fail("gelu over [" + range[0] + ", " + range[1] + ") at " + i + ": " + a[i] + ", expected "
                            + expected + " (z = " + z[i] + ")");
                }
            }
        }
    }

    /**
     * The inline vector exp of the softmax against Math.exp on a dense grid over the normal range: within 2 float
     * ulps; below it and −∞ flush to 0, NaN stays NaN; the returned sum is the sum of the numerators (checked
     * on the grid's part ≤ 0, the softmax range; accumulated in float lanes, so to 1e-6 relative).
     */
    @Test
    void expMatchesMathExp() {
        int n = 400_001;
        float[] v = new float[n + 4];
        for (int i = 0; i < n; i++) {
            v[i] = -87f + i * (175f / (n - 1));
        }
        v[n] = -100f;
        v[n + 1] = Float.NEGATIVE_INFINITY;
        v[n + 2] = 0f;
        v[n + 3] = Float.NaN;
        float[] expected = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            expected[i] = (float) Math.exp(v[i]);
        }
        int lanes = VectorWidth.FLOAT.length();
        float[] actual = java.util.Arrays.copyOf(v, (v.length + lanes - 1) / lanes * lanes); // whole vectors
        java.util.Arrays.fill(actual, v.length, actual.length, Float.NEGATIVE_INFINITY);
        VectorMath.expShiftedInPlace(actual, 0, actual.length, 1f, 0f, new float[actual.length]);
        // the sum over the softmax range v ≤ 0 of the grid (sorted), padded with −∞, whose e^ adds nothing
        int nonPositive = 0;
        while (v[nonPositive] <= 0f) {
            nonPositive++;
        }
        float[] grid = java.util.Arrays.copyOf(v, (nonPositive + lanes - 1) / lanes * lanes);
        java.util.Arrays.fill(grid, nonPositive, grid.length, Float.NEGATIVE_INFINITY);
        float sum = VectorMath.expShiftedInPlace(grid, 0, grid.length, 1f, 0f, new float[grid.length]);
        double expectedSum = 0;
        for (int i = 0; i < nonPositive; i++) {
            expectedSum += Math.exp(v[i]);
        }
        if (Math.abs(sum - expectedSum) > 1e-6 * expectedSum) {
            fail("exp: sum of the numerators " + sum + ", expected " + expectedSum);
        }
        expected[n] = 0f; // below the normal range: flushed to zero by design
        assertClose("exp", expected, actual, n, 0, 2.4e-7);
        if (actual[n] != 0f || actual[n + 1] != 0f || actual[n + 2] != 1f || !Float.isNaN(actual[n + 3])) {
            fail("exp special values: e^-100 " + actual[n] + ", e^-inf " + actual[n + 1] + ", e^0 " + actual[n + 2]
                    + ", e^NaN " + actual[n + 3]);
        }
    }

    static float[] uniform(Random random, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (random.nextFloat() * 2 - 1) * scale;
        }
        return a;
    }

    static void assertClose(String what, float[] expected, float[] actual, int n, double abs, double rel) {
        double worstExcess = -1;
        int worstAt = -1;
        int failures = 0;
        for (int i = 0; i < n; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            double allowed = abs + rel * Math.abs(expected[i]);
            boolean ok = diff <= allowed || expected[i] == actual[i];
            if (!ok) {
                failures++;
            }
            double excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / allowed;
            if (excess > worstExcess) {
                worstExcess = excess;
                worstAt = i;
            }
        }
        if (failures > 0) {
            fail(what + ": " + failures + " of " + n + " values differ by more than " + abs + " + " + rel
                    + "·|expected|; worst at [" + worstAt + "]: expected " + expected[worstAt] + " got "
                    + actual[worstAt] + ", diff " + Math.abs((double) expected[worstAt] - actual[worstAt]));
        }
    }

    /**
     * sumLanes adds in the documented fixed order (lane i with lane i + L/2, halving again), whatever the JIT has
     * compiled so far: its result equals that order computed here in scalar code, to the bit, on values whose sum
     * depends on the order.
     */
    @Test
    void laneSumsFollowTheirFixedOrder() {
        int lanes = VectorWidth.FLOAT.length();
        Random random = new Random(17);
        for (int trial = 0; trial < 10_000; trial++) {
            float[] v = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            float[] t = v.clone();
            for (int half = lanes / 2; half >= 1; half /= 2) {
                for (int i = 0; i < half; i++) {
                    t[i] += t[i + half];
                }
            }
            float actual = VectorMath.sumLanes(jdk.incubator.vector.FloatVector.fromArray(VectorWidth.FLOAT, v, 0));
            if (Float.floatToRawIntBits(actual) != Float.floatToRawIntBits(t[0])) {
                fail("sumLanes of " + java.util.Arrays.toString(v) + ": " + actual + ", expected " + t[0]);
            }
        }
    }
}
