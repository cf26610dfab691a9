package dev.bicross.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Hand-computed cases and invariants every {@link Kernels} implementation must satisfy. */
class KernelsContractTest {

    static List<Kernels> implementations() {
        return List.of(new ScalarKernels(), new VectorKernels(1), new VectorKernels(2));
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void linearComputesXWTransposedPlusBias(Kernels kernels) {
        float[] w = {1, 2, 3, 4, 5, 6}; // (out 2 × in 3)
        PackedWeights packed = kernels.pack(w, 2, 3);
        float[] x = {1, 0, -1, 2, 1, 1}; // (2 rows × 3)
        float[] y = new float[4];
        kernels.linear(x, 2, packed, new float[] {10, 20}, Epilogue.NONE, y);
        assertArrayEquals(new float[] {1 - 3 + 10, 4 - 6 + 20, 2 + 2 + 3 + 10, 8 + 5 + 6 + 20}, y);

        kernels.linear(x, 2, packed, null, Epilogue.TANH, y);
        assertEquals((float) Math.tanh(-2), y[0], 1e-7f);
        kernels.linear(x, 2, packed, null, Epilogue.GELU, y);
        assertEquals(7 * 0.9999999999974403f, y[2], 1e-6f); // Φ(7)
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void badShapesAreRejectedWithTheOffendingValues(Kernels kernels) {
        var e = assertThrows(IllegalArgumentException.class, () -> kernels.pack(new float[5], 2, 3));
        assertEquals("pack: weight has 5 values, shape (2 × 3) needs 6", e.getMessage());
        PackedWeights packed = kernels.pack(new float[6], 2, 3);
        e = assertThrows(IllegalArgumentException.class,
                () -> kernels.linear(new float[6], 2, packed, new float[3], Epilogue.NONE, new float[4]));
        assertEquals("linear: bias has 3 values, expected 2", e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void layerNormGivesZeroMeanUnitVarianceThenAffine(Kernels kernels) {
        Random random = new Random(1);
        int rows = 3;
        int dim = 37;
        float[] x = new float[rows * dim];
        float[] residual = new float[rows * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 10 - 3;
            residual[i] = random.nextFloat();
        }
        float[] ones = new float[dim];
        java.util.Arrays.fill(ones, 1f);
        kernels.addLayerNorm(x, residual, rows, dim, ones, new float[dim], 0f);
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                mean += x[r * dim + i];
            }
            mean /= dim;
            for (int i = 0; i < dim; i++) {
                var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
            }
            assertEquals(0, mean, 1e-6, "row " + r + " mean");
            assertEquals(1, var / dim, 1e-5, "row " + r + " biased variance");
        }
        // hand example: [1, 3] → mean 2, biased var 1 → [-1, 1] · gamma + beta
        float[] small = {1, 3};
        kernels.addLayerNorm(small, null, 1, 2, new float[] {2, 3}, new float[] {0.5f, -0.5f}, 0f);
        assertArrayEquals(new float[] {-1.5f, 2.5f}, small, 1e-6f);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void attentionOfOneTokenReturnsItsValue(Kernels kernels) {
        int heads = 2;
        int headDim = 3;
        // one token: the head-major blocks (q of heads 0 and 1, then k, then v) are one row each
        float[] qkv = {9, 8, 7, 6, 5, 4, /* k */ 1, 2, 3, 4, 5, 6, /* v */ 0.5f, -1, 2, 3, 4, -5};
        float[] out = new float[6];
        kernels.attention(qkv, new int[] {0, 1}, heads, headDim, out);
        assertArrayEquals(new float[] {0.5f, -1, 2, 3, 4, -5}, out, 1e-6f);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void attentionWithEqualKeysAveragesValuesAndStaysInsideItsSequence(Kernels kernels) {
        // 1 head, headDim 2; sequence A = tokens 0..2 (identical keys), sequence B = token 3.
        float[] qkv = {
                /* q */ 5, 1, -3, 2, 0, 7, 1, 1,
                /* k */ 1, 1, 1, 1, 1, 1, 100, 100,
                /* v */ 1, 0, 2, 0, 6, 3, -1, -1,
        };
        float[] out = new float[8];
        kernels.attention(qkv, new int[] {0, 3, 4}, 1, 2, out);
        for (int t = 0; t < 3; t++) {
            assertEquals(3f, out[2 * t], 1e-6f);
            assertEquals(1f, out[2 * t + 1], 1e-6f);
        }
        assertEquals(-1f, out[6], 1e-6f); // a large score alone must not overflow
        assertEquals(-1f, out[7], 1e-6f);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void attentionSoftmaxWeightsFollowScores(Kernels kernels) {
        // 1 head, headDim 1, two tokens: scores q·k/1 = {0, ln 3} → weights {1/4, 3/4}
        float ln3 = (float) Math.log(3);
        float[] qkv = {/* q */ 1, 1, /* k */ 0, ln3, /* v */ 4, 8};
        float[] out = new float[2];
        kernels.attention(qkv, new int[] {0, 2}, 1, 1, out);
        assertEquals(7f, out[0], 1e-5f);
        assertEquals(7f, out[1], 1e-5f);
    }

    /**
     * Attention of the first tokens alone is bitwise the first rows of the full attention: mixed lengths (1 to 70
     * tokens, across the vector kernels' tiles of six queries and panels of 16 keys), head sizes on and off the
     * panel width. An empty sequence, which has no first token, is refused.
     */
    @ParameterizedTest
    @MethodSource("implementations")
    void attentionOfFirstTokensIsTheFirstRowsOfTheFullOne(Kernels kernels) {
        Random random = new Random(8);
        int[] seqOffsets = {0, 1, 8, 78, 95};
        int tokens = seqOffsets[seqOffsets.length - 1];
        for (int headDim : new int[] {7, 16, 32}) {
            int heads = 3;
            int hidden = heads * headDim;
            float[] qkv = new float[tokens * 3 * hidden];
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] = random.nextFloat() * 6 - 3;
            }
            float[] all = new float[tokens * hidden];
            kernels.attention(qkv, seqOffsets, heads, headDim, all);
            float[] first = new float[(seqOffsets.length - 1) * hidden];
            kernels.attentionFirstTokens(qkv, seqOffsets, heads, headDim, first);
            for (int s = 0; s + 1 < seqOffsets.length; s++) {
                for (int c = 0; c < hidden; c++) {
                    assertEquals(all[seqOffsets[s] * hidden + c], first[s * hidden + c], 0f,
                            "headDim " + headDim + " sequence " + s + " column " + c);
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionFirstTokens(new float[6], new int[] {0, 1, 1}, 1, 2, new float[4]));
        assertTrue(e.getMessage().contains("sequence 1 is empty"), e.getMessage());
    }

    /**
     * The head-major projection holds exactly the values of the row-major one, moved: column c of row r at
     * ((c / headDim)·rows + r)·headDim + c % headDim. Head sizes that are and are not a multiple of the vector
     * kernels' panel width (16 floats), so both of their paths are covered; the int8 path too.
     */
    @ParameterizedTest
    @MethodSource("implementations")
    void headMajorLinearIsTheRowMajorOneRearranged(Kernels kernels) {
        Random random = new Random(5);
        for (int headDim : new int[] {3, 16, 32}) {
            for (Precision precision : new Precision[] {Precision.FP32, Precision.INT8}) {
                int heads = 2;
                int out = 3 * heads * headDim;
                int in = 24;
                int rows = 13;
                float[] weight = new float[out * in];
                float[] x = new float[rows * in];
                float[] bias = new float[out];
                for (float[] a : new float[][] {weight, x, bias}) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] = random.nextFloat() * 2 - 1;
                    }
                }
                PackedWeights w = kernels.pack(weight, out, in, precision);
                float[] rowMajor = new float[rows * out];
                kernels.linear(x, rows, w, bias, Epilogue.NONE, rowMajor);
                float[] headMajor = new float[rows * out];
                kernels.linearHeadMajor(x, rows, w, bias, headDim, headMajor);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < out; c++) {
                        int at = (c / headDim * rows + r) * headDim + c % headDim;
                        assertEquals(rowMajor[r * out + c], headMajor[at], 0f,
                                precision + " headDim=" + headDim + " row " + r + " column " + c);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void headMajorLinearRejectsAPartialHead(Kernels kernels) {
        PackedWeights w = kernels.pack(new float[10 * 4], 10, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernels.linearHeadMajor(new float[4], 1, w, null, 3, new float[10]));
        assertTrue(e.getMessage().contains("not a whole number of heads of 3"), e.getMessage());
    }
}
