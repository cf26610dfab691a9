package dev.bicross.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of one head of one packed sequence, read straight from the fused qkv rows (no padded tensors).
 * The head's keys are first transposed into a (headDim × T) scratch, so that a query's scores against all keys
 * are FMAs of broadcast query elements with contiguous key rows (no horizontal sums); the output is likewise the
 * sum of broadcast probabilities times contiguous value rows.
 */
final class VectorAttention {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();

    /** Per-thread scratch: [0] transposed keys, [1] scores, [2] values; grown on demand, never shrunk. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

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
        if (scratch[1].length < padded) {
            scratch[1] = new float[padded];
        }
        if (scratch[2].length < length * headDim) {
            scratch[2] = new float[length * headDim];
        }
        float[] keysT = scratch[0]; // (headDim × padded)
        float[] scores = scratch[1]; // (padded)
        float[] values = scratch[2]; // (length × headDim), contiguous: the qkv rows are 3·hidden apart
        for (int j = 0; j < length; j++) {
            int kRow = (first + j) * stride + kOffset;
            for (int d = 0; d < headDim; d++) {
                keysT[d * padded + j] = qkv[kRow + d];
            }
            System.arraycopy(qkv, (first + j) * stride + vOffset, values, j * headDim, headDim);
        }
        for (int d = 0; d < headDim; d++) {
            java.util.Arrays.fill(keysT, d * padded + length, (d + 1) * padded, 0f);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int i = 0; i < length; i++) {
            int qRow = (first + i) * stride + h * headDim;
            scores(qkv, qRow, scale, keysT, padded, headDim, scores);
            java.util.Arrays.fill(scores, length, padded, Float.NEGATIVE_INFINITY);
            float sum = softmaxNumerators(scores, padded);
            weightedValues(values, length, scores, 1f / sum, headDim, out,
                    (first + i) * hidden + h * headDim);
        }
    }

    /**
     * scores[j] = (scale·q)·k_j for all padded j. Eight (then four, then one) vectors of j per pass: each
     * accumulator is a chain of headDim dependent FMAs, and two FMA pipes × 4 cycles latency need eight chains.
     */
    private static void scores(float[] qkv, int qRow, float scale, float[] keysT, int padded, int headDim,
                               float[] scores) {
        int j = 0;
        for (; j + 8 * L <= padded; j += 8 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            for (int d = 0; d < headDim; d++) {
                FloatVector q = FloatVector.broadcast(S, qkv[qRow + d] * scale);
                int row = d * padded + j;
                a0 = q.fma(FloatVector.fromArray(S, keysT, row), a0);
                a1 = q.fma(FloatVector.fromArray(S, keysT, row + L), a1);
                a2 = q.fma(FloatVector.fromArray(S, keysT, row + 2 * L), a2);
                a3 = q.fma(FloatVector.fromArray(S, keysT, row + 3 * L), a3);
                a4 = q.fma(FloatVector.fromArray(S, keysT, row + 4 * L), a4);
                a5 = q.fma(FloatVector.fromArray(S, keysT, row + 5 * L), a5);
                a6 = q.fma(FloatVector.fromArray(S, keysT, row + 6 * L), a6);
                a7 = q.fma(FloatVector.fromArray(S, keysT, row + 7 * L), a7);
            }
            a0.intoArray(scores, j);
            a1.intoArray(scores, j + L);
            a2.intoArray(scores, j + 2 * L);
            a3.intoArray(scores, j + 3 * L);
            a4.intoArray(scores, j + 4 * L);
            a5.intoArray(scores, j + 5 * L);
            a6.intoArray(scores, j + 6 * L);
            a7.intoArray(scores, j + 7 * L);
        }
        for (; j + 4 * L <= padded; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int d = 0; d < headDim; d++) {
                FloatVector q = FloatVector.broadcast(S, qkv[qRow + d] * scale);
                int row = d * padded + j;
                a0 = q.fma(FloatVector.fromArray(S, keysT, row), a0);
                a1 = q.fma(FloatVector.fromArray(S, keysT, row + L), a1);
                a2 = q.fma(FloatVector.fromArray(S, keysT, row + 2 * L), a2);
                a3 = q.fma(FloatVector.fromArray(S, keysT, row + 3 * L), a3);
            }
            a0.intoArray(scores, j);
            a1.intoArray(scores, j + L);
            a2.intoArray(scores, j + 2 * L);
            a3.intoArray(scores, j + 3 * L);
        }
        for (; j < padded; j += L) {
            FloatVector a = FloatVector.zero(S);
            for (int d = 0; d < headDim; d++) {
                a = FloatVector.broadcast(S, qkv[qRow + d] * scale)
                        .fma(FloatVector.fromArray(S, keysT, d * padded + j), a);
            }
            a.intoArray(scores, j);
        }
    }

    /** Replaces scores by exp(score − max) (the stable softmax numerators) and returns their sum. */
    private static float softmaxNumerators(float[] scores, int padded) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < padded; j += L) {
            max = max.max(FloatVector.fromArray(S, scores, j));
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        return VectorMath.expShiftedInPlace(scores, 0, padded, m);
    }

    /**
     * out[d] = norm · Σ_j p_j · v_j[d], four vectors of d per pass over j, with even and odd j in separate
     * accumulators (eight independent FMA chains).
     */
    private static void weightedValues(float[] values, int length, float[] p, float norm, int headDim, float[] out,
                                       int outOffset) {
        int stride = headDim;
        int d = 0;
        for (; d + 4 * L <= headDim; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            int j = 0;
            for (; j + 1 < length; j += 2) {
                FloatVector pj = FloatVector.broadcast(S, p[j]);
                int v = j * stride + d;
                a0 = pj.fma(FloatVector.fromArray(S, values, v), a0);
                a1 = pj.fma(FloatVector.fromArray(S, values, v + L), a1);
                a2 = pj.fma(FloatVector.fromArray(S, values, v + 2 * L), a2);
                a3 = pj.fma(FloatVector.fromArray(S, values, v + 3 * L), a3);
                FloatVector pk = FloatVector.broadcast(S, p[j + 1]);
                int w = v + stride;
                b0 = pk.fma(FloatVector.fromArray(S, values, w), b0);
                b1 = pk.fma(FloatVector.fromArray(S, values, w + L), b1);
                b2 = pk.fma(FloatVector.fromArray(S, values, w + 2 * L), b2);
                b3 = pk.fma(FloatVector.fromArray(S, values, w + 3 * L), b3);
            }
            if (j < length) {
                FloatVector pj = FloatVector.broadcast(S, p[j]);
                int v = j * stride + d;
                a0 = pj.fma(FloatVector.fromArray(S, values, v), a0);
                a1 = pj.fma(FloatVector.fromArray(S, values, v + L), a1);
                a2 = pj.fma(FloatVector.fromArray(S, values, v + 2 * L), a2);
                a3 = pj.fma(FloatVector.fromArray(S, values, v + 3 * L), a3);
            }
            a0.add(b0).mul(norm).intoArray(out, outOffset + d);
            a1.add(b1).mul(norm).intoArray(out, outOffset + d + L);
            a2.add(b2).mul(norm).intoArray(out, outOffset + d + 2 * L);
            a3.add(b3).mul(norm).intoArray(out, outOffset + d + 3 * L);
        }
        for (; d < headDim; d += L) {
            VectorMask<Float> inside = S.indexInRange(d, headDim);
            FloatVector a = FloatVector.zero(S);
            for (int j = 0; j < length; j++) {
                int v = j * stride + d;
                a = FloatVector.broadcast(S, p[j]).fma(FloatVector.fromArray(S, values, v, inside), a);
            }
            a.mul(norm).intoArray(out, outOffset + d, inside);
        }
    }
}
