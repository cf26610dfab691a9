package dev.bicross.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of one head of one packed sequence, read straight from the fused qkv rows (no padded tensors).
 * The head's keys are first transposed into a (headDim × T) scratch, so that a query's scores against all keys
 * are FMAs of broadcast query elements with contiguous key rows (no horizontal sums); the output is likewise the
 * sum of broadcast probabilities times value rows, read in place. Six query rows go through together, in the
 * GEMM micro-kernel's shape, so every key and value vector loaded serves six rows (1.39× the one-row-at-a-time
 * version on 8 × 128 tokens, single core).
 */
final class VectorAttention {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    /** Query rows per pass: they share every key and value vector loaded. */
    private static final int ROWS = 6;
    /** Keys per block of the key transposition: their rows (32 × 64 floats for MiniLM) stay in L1. */
    private static final int TRANSPOSE_KEYS = 32;

    /** Per-thread scratch: [0] transposed keys, [1] scores; grown on demand, never shrunk. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private VectorAttention() {
    }

    static void head(float[] qkv, int first, int length, int h, int heads, int headDim, float[] out) {
        if (length == 0) {
            return;
        }
        int hidden = heads * headDim;
        int stride = 3 * hidden;
        int kOffset = hidden + h * headDim;
        int vOffset = 2 * hidden + h * headDim;
        int padded = (length + L - 1) / L * L; // score columns, a whole number of vectors
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < headDim * padded) {
            scratch[0] = new float[headDim * padded];
        }
        if (scratch[1].length < ROWS * padded) {
            scratch[1] = new float[ROWS * padded];
        }
        float[] keysT = scratch[0]; // (headDim × padded)
        float[] scores = scratch[1]; // (ROWS × padded)
        // Transposed in blocks of TRANSPOSE_KEYS keys, row by row of keysT within a block: sequential stores,
        // strided loads (strided stores were 10× slower) from the block's key rows, which stay in L1 (a whole
        // head's keys, one cache line per key and d group, did not: 1.4× faster in blocks)
        for (int j0 = 0; j0 < length; j0 += TRANSPOSE_KEYS) {
            int j1 = Math.min(length, j0 + TRANSPOSE_KEYS);
            for (int d = 0; d < headDim; d++) {
                int from = first * stride + kOffset + d;
                int to = d * padded;
                for (int j = j0; j < j1; j++) {
                    keysT[to + j] = qkv[from + j * stride];
                }
            }
        }
        for (int d = 0; d < headDim; d++) {
            java.util.Arrays.fill(keysT, d * padded + length, (d + 1) * padded, 0f);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] norms = new float[ROWS]; // 1 / the softmax denominators
        int[] queries = new int[ROWS];
        for (int i = 0; i < length; i += ROWS) {
            // ROWS query rows at a time; past the sequence's end the last row is repeated (computed, not used)
            for (int row = 0; row < ROWS; row++) {
                queries[row] = (first + Math.min(i + row, length - 1)) * stride + h * headDim;
            }
            scores(qkv, queries, scale, keysT, padded, headDim, scores);
            int valid = Math.min(ROWS, length - i);
            for (int row = 0; row < valid; row++) {
                java.util.Arrays.fill(scores, row * padded + length, (row + 1) * padded, Float.NEGATIVE_INFINITY);
                norms[row] = 1f / softmaxNumerators(scores, row * padded, padded);
            }
            for (int row = valid; row < ROWS; row++) { // weights of the repeated rows: finite, never stored
                java.util.Arrays.fill(scores, row * padded, (row + 1) * padded, 0f);
            }
            weightedValues(qkv, first * stride + vOffset, stride, length, scores, padded, norms, valid, headDim,
                    out, (first + i) * hidden + h * headDim, hidden);
        }
    }

    /**
     * scores[r·padded + j] = scale·(q_r·k_j) for the ROWS query rows r (q_r at {@code qkv[queries[r]]}) and all
     * padded j. The GEMM micro-kernel's shape (see {@link VectorGemm}): six rows × two key vectors, per d two
     * key loads and six broadcast query elements for twelve FMAs, 15 of the 16 AVX2 registers (a 3 × 4 tile
     * needed 17 and spilled).
     */
    private static void scores(float[] qkv, int[] queries, float scale, float[] keysT, int padded, int headDim,
                               float[] scores) {
        int q0 = queries[0];
        int q1 = queries[1];
        int q2 = queries[2];
        int q3 = queries[3];
        int q4 = queries[4];
        int q5 = queries[5];
        int j = 0;
        for (; j + 2 * L <= padded; j += 2 * L) {
            FloatVector c00 = FloatVector.zero(S);
            FloatVector c01 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c20 = c00;
            FloatVector c21 = c00;
            FloatVector c30 = c00;
            FloatVector c31 = c00;
            FloatVector c40 = c00;
            FloatVector c41 = c00;
            FloatVector c50 = c00;
            FloatVector c51 = c00;
            for (int d = 0; d < headDim; d++) {
                int row = d * padded + j;
                FloatVector k0 = FloatVector.fromArray(S, keysT, row);
                FloatVector k1 = FloatVector.fromArray(S, keysT, row + L);
                FloatVector q = FloatVector.broadcast(S, qkv[q0 + d]);
                c00 = q.fma(k0, c00);
                c01 = q.fma(k1, c01);
                q = FloatVector.broadcast(S, qkv[q1 + d]);
                c10 = q.fma(k0, c10);
                c11 = q.fma(k1, c11);
                q = FloatVector.broadcast(S, qkv[q2 + d]);
                c20 = q.fma(k0, c20);
                c21 = q.fma(k1, c21);
                q = FloatVector.broadcast(S, qkv[q3 + d]);
                c30 = q.fma(k0, c30);
                c31 = q.fma(k1, c31);
                q = FloatVector.broadcast(S, qkv[q4 + d]);
                c40 = q.fma(k0, c40);
                c41 = q.fma(k1, c41);
                q = FloatVector.broadcast(S, qkv[q5 + d]);
                c50 = q.fma(k0, c50);
                c51 = q.fma(k1, c51);
            }
            c00.mul(scale).intoArray(scores, j);
            c01.mul(scale).intoArray(scores, j + L);
            c10.mul(scale).intoArray(scores, padded + j);
            c11.mul(scale).intoArray(scores, padded + j + L);
            c20.mul(scale).intoArray(scores, 2 * padded + j);
            c21.mul(scale).intoArray(scores, 2 * padded + j + L);
            c30.mul(scale).intoArray(scores, 3 * padded + j);
            c31.mul(scale).intoArray(scores, 3 * padded + j + L);
            c40.mul(scale).intoArray(scores, 4 * padded + j);
            c41.mul(scale).intoArray(scores, 4 * padded + j + L);
            c50.mul(scale).intoArray(scores, 5 * padded + j);
            c51.mul(scale).intoArray(scores, 5 * padded + j + L);
        }
        if (j < padded) { // one vector of keys left
            for (int r = 0; r < ROWS; r++) {
                int q = queries[r];
                FloatVector c = FloatVector.zero(S);
                for (int d = 0; d < headDim; d++) {
                    c = FloatVector.broadcast(S, qkv[q + d]).fma(FloatVector.fromArray(S, keysT, d * padded + j), c);
                }
                c.mul(scale).intoArray(scores, r * padded + j);
            }
        }
    }

    /** Replaces scores by exp(score − max) (the stable softmax numerators) and returns their sum. */
    private static float softmaxNumerators(float[] scores, int from, int padded) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = from; j < from + padded; j += L) {
            max = max.max(FloatVector.fromArray(S, scores, j));
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        return VectorMath.expShiftedInPlace(scores, from, from + padded, m);
    }

    /**
     * out_r[d] = norms[r] · Σ_j p[r·padded + j] · v_j[d] for the {@code valid} of the ROWS rows r (output rows
     * {@code outStride} apart), v_j read in place at {@code values[vBase + j·vStride …]}. The same six × two-vector
     * shape as {@link #scores}: per j, two value vectors and six broadcast weights for twelve FMAs. A head size
     * that is not a multiple of two vectors finishes row by row under a mask.
     */
    private static void weightedValues(float[] values, int vBase, int vStride, int length, float[] p, int padded,
                                       float[] norms, int valid, int headDim, float[] out, int outOffset,
                                       int outStride) {
        int d = 0;
        for (; d + 2 * L <= headDim; d += 2 * L) {
            FloatVector c00 = FloatVector.zero(S);
            FloatVector c01 = c00;
            FloatVector c10 = c00;
            FloatVector c11 = c00;
            FloatVector c20 = c00;
            FloatVector c21 = c00;
            FloatVector c30 = c00;
            FloatVector c31 = c00;
            FloatVector c40 = c00;
            FloatVector c41 = c00;
            FloatVector c50 = c00;
            FloatVector c51 = c00;
            for (int j = 0; j < length; j++) {
                int v = vBase + j * vStride + d;
                FloatVector v0 = FloatVector.fromArray(S, values, v);
                FloatVector v1 = FloatVector.fromArray(S, values, v + L);
                FloatVector w = FloatVector.broadcast(S, p[j]);
                c00 = w.fma(v0, c00);
                c01 = w.fma(v1, c01);
                w = FloatVector.broadcast(S, p[padded + j]);
                c10 = w.fma(v0, c10);
                c11 = w.fma(v1, c11);
                w = FloatVector.broadcast(S, p[2 * padded + j]);
                c20 = w.fma(v0, c20);
                c21 = w.fma(v1, c21);
                w = FloatVector.broadcast(S, p[3 * padded + j]);
                c30 = w.fma(v0, c30);
                c31 = w.fma(v1, c31);
                w = FloatVector.broadcast(S, p[4 * padded + j]);
                c40 = w.fma(v0, c40);
                c41 = w.fma(v1, c41);
                w = FloatVector.broadcast(S, p[5 * padded + j]);
                c50 = w.fma(v0, c50);
                c51 = w.fma(v1, c51);
            }
            int o = outOffset + d;
            c00.mul(norms[0]).intoArray(out, o);
            c01.mul(norms[0]).intoArray(out, o + L);
            if (valid > 1) {
                c10.mul(norms[1]).intoArray(out, o + outStride);
                c11.mul(norms[1]).intoArray(out, o + outStride + L);
            }
            if (valid > 2) {
                c20.mul(norms[2]).intoArray(out, o + 2 * outStride);
                c21.mul(norms[2]).intoArray(out, o + 2 * outStride + L);
            }
            if (valid > 3) {
                c30.mul(norms[3]).intoArray(out, o + 3 * outStride);
                c31.mul(norms[3]).intoArray(out, o + 3 * outStride + L);
            }
            if (valid > 4) {
                c40.mul(norms[4]).intoArray(out, o + 4 * outStride);
                c41.mul(norms[4]).intoArray(out, o + 4 * outStride + L);
            }
            if (valid > 5) {
                c50.mul(norms[5]).intoArray(out, o + 5 * outStride);
                c51.mul(norms[5]).intoArray(out, o + 5 * outStride + L);
            }
        }
        for (; d < headDim; d += L) {
            VectorMask<Float> inside = S.indexInRange(d, headDim);
            for (int row = 0; row < valid; row++) {
                FloatVector a = FloatVector.zero(S);
                for (int j = 0; j < length; j++) {
                    a = FloatVector.broadcast(S, p[row * padded + j])
                            .fma(FloatVector.fromArray(S, values, vBase + j * vStride + d, inside), a);
                }
                a.mul(norms[row]).intoArray(out, outOffset + row * outStride + d, inside);
            }
        }
    }
}
