package dev.bicross.engine.kernel;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of one head of one packed sequence, on the head-major projection of
 * {@link Kernels#linearHeadMajor}: the head's queries, keys and values are three contiguous (tokens × headDim)
 * runs, so a head reads 3 × 16 KB in order (MiniLM, 128 tokens) instead of a 128-byte slice of every 4.6 KB row
 * (1.25–1.3× on the whole head, single core). Both products run on {@link VectorGemm}'s micro-kernel:
 * <ul>
 *   <li>scores = Q·Kᵀ: the keys are first cut into panels of NR keys (k-major, as the GEMM's weights), then
 *       each tile of MR query rows is read in place;</li>
 *   <li>out = P·V: the values are cut into panels of NR head dimensions, and the MR rows of softmax weights are
 *       the micro-kernel's x.</li>
 * </ul>
 * The sums run in the same order as before this layout (FMA over the head dimension, then over the keys), so
 * the results are the same to the bit.
 */
final class VectorAttention {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final int MR = VectorGemm.MR;
    private static final int NR = VectorGemm.NR;

    /**
     * Per-thread scratch: [0] key panels, [1] value panels, [2] MR rows of scores, [3] one MR × NR tile, [4] the
     * 2ⁿ factors of one softmax row.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);

    private VectorAttention() {
    }

    private static float[] scratch(float[][] buffers, int index, int size) {
        if (buffers[index].length < size) {
            buffers[index] = new float[size];
        }
        return buffers[index];
    }

    /**
     * Head h of sequence s into columns h·headDim … (h+1)·headDim of out: the sequence's rows, or with
     * {@code firstOnly} its first token's query alone, into row s.
     */
    static void head(float[] qkv, int[] seqOffsets, int s, int h, int heads, int headDim, float[] out,
                     boolean firstOnly) {
        int first = seqOffsets[s];
        int length = seqOffsets[s + 1] - first;
        if (length == 0) {
            return;
        }
        int tokens = seqOffsets[seqOffsets.length - 1];
        int hidden = heads * headDim;
        int queries = h * tokens * headDim; // where this head's blocks start in qkv
        int keys = (heads + h) * tokens * headDim + first * headDim;
        int values = (2 * heads + h) * tokens * headDim + first * headDim;
        int keyPanels = (length + NR - 1) / NR;
        int padded = keyPanels * NR; // score columns
        int valuePanels = (headDim + NR - 1) / NR;
        float[][] buffers = SCRATCH.get();
        float[] keysP = scratch(buffers, 0, keyPanels * headDim * NR);
        // a head exactly one panel wide (MiniLM's 32 on 512-bit vectors) is its own value panel: no copy
        boolean inPlace = headDim == NR;
        float[] valuesP = inPlace ? qkv : scratch(buffers, 1, valuePanels * length * NR);
        int valuesBase = inPlace ? values : 0;
        float[] scores = scratch(buffers, 2, MR * padded);
        float[] tile = scratch(buffers, 3, MR * NR);
        float[] twoToN = scratch(buffers, 4, padded);
        packKeys(qkv, keys, length, headDim, keysP);
        if (!inPlace) {
            packValues(qkv, values, length, headDim, valuesP);
        }

        float scale = (float) (1 / Math.sqrt(headDim));
        float[] norms = new float[MR]; // 1 / the softmax denominators
        float[] maxima = new float[MR]; // the rows' largest raw scores
        int queryCount = firstOnly ? 1 : length;
        int lastQuery = first + queryCount - 1;
        for (int i = 0; i < queryCount; i += MR) {
            int valid = Math.min(MR, queryCount - i);
            // raw q·k for MR query rows (past the end the last row repeats: computed, not stored)
            for (int panel = 0; panel < keyPanels; panel++) {
                VectorGemm.kernel(qkv, headDim, first + i, lastQuery, queries, keysP, panel * headDim * NR,
                        headDim, null, 0, scores, panel * NR, padded, valid, true);
            }
            // every row's maximum first, then every row's exponentials: the rows' reductions overlap
            for (int row = 0; row < valid; row++) {
                maxima[row] = rawMaximum(scores, row * padded, length, padded);
            }
            for (int row = 0; row < valid; row++) {
                // max over j of fl(score·scale) is fl(max score·scale): rounding is monotonic and scale > 0
                norms[row] = 1f / VectorMath.expShiftedInPlace(scores, row * padded, (row + 1) * padded, scale,
                        maxima[row] * scale, twoToN);
            }
            int outRow = (firstOnly ? s : first + i) * hidden + h * headDim;
            for (int panel = 0; panel < valuePanels; panel++) {
                int col = panel * NR;
                int width = Math.min(NR, headDim - col);
                // into the L1-resident tile, then normalised into out: the kernel's stores into rows of out that
                // are not in cache yet cost 1.2× on the whole product
                VectorGemm.kernel(scores, padded, 0, valid - 1, 0, valuesP, valuesBase + panel * length * NR, length,
                        null, 0, tile, 0, NR, valid, true);
                for (int row = 0; row < valid; row++) {
                    normalise(tile, row * NR, width, norms[row], out, outRow + row * hidden + col);
                }
            }
        }
    }

    /**
     * keysP[(panel·headDim + d)·NR + c] = k_(panel·NR + c)[d]: the keys as the GEMM's weight panels, zero past the
     * last key. Sequential stores; the loads walk NR key rows (2 KB for MiniLM), which stay in L1.
     */
    private static void packKeys(float[] qkv, int keys, int length, int headDim, float[] keysP) {
        for (int panel = 0; panel * NR < length; panel++) {
            int count = Math.min(NR, length - panel * NR);
            int from = keys + panel * NR * headDim;
            int base = panel * headDim * NR;
            for (int d = 0; d < headDim; d++) {
                int to = base + d * NR;
                for (int c = 0; c < count; c++) {
                    keysP[to + c] = qkv[from + c * headDim + d];
                }
                for (int c = count; c < NR; c++) {
                    keysP[to + c] = 0f;
                }
            }
        }
    }

    /** valuesP[(panel·length + j)·NR + c] = v_j[panel·NR + c], zero past headDim. */
    private static void packValues(float[] qkv, int values, int length, int headDim, float[] valuesP) {
        for (int panel = 0; panel * NR < headDim; panel++) {
            int width = Math.min(NR, headDim - panel * NR);
            for (int j = 0; j < length; j++) {
                int from = values + j * headDim + panel * NR;
                int to = (panel * length + j) * NR;
                if (width == NR) {
                    FloatVector.fromArray(S, qkv, from).intoArray(valuesP, to);
                    FloatVector.fromArray(S, qkv, from + L).intoArray(valuesP, to + L);
                } else {
                    for (int c = 0; c < NR; c++) {
                        valuesP[to + c] = c < width ? qkv[from + c] : 0f;
                    }
                }
            }
        }
    }

    /**
     * The largest of the {@code length} raw scores from {@code from}; sets the padding columns up to
     * {@code from + padded} to −∞ (their e^ is 0). A lane takes v only where v > max: two instructions, where
     * {@code max()} and its NaN and −0 rules cost four. A NaN score is skipped here, but its own e^ is NaN and the
     * row's sum with it, so the row still comes out NaN.
     */
    private static float rawMaximum(float[] scores, int from, int length, int padded) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int end = from + length;
        int j = from;
        for (; j + L <= end; j += L) {
            FloatVector v = FloatVector.fromArray(S, scores, j);
            max = max.blend(v, v.compare(VectorOperators.GT, max));
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        for (; j < end; j++) {
            m = Math.max(m, scores[j]);
        }
        Arrays.fill(scores, end, from + padded, Float.NEGATIVE_INFINITY);
        return m;
    }

    /** out[to … to+width) = a[from … from+width) · norm. */
    private static void normalise(float[] a, int from, int width, float norm, float[] out, int to) {
        if (width == NR) {
            FloatVector.fromArray(S, a, from).mul(norm).intoArray(out, to);
            FloatVector.fromArray(S, a, from + L).mul(norm).intoArray(out, to + L);
        } else {
            for (int c = 0; c < width; c++) {
                out[to + c] = a[from + c] * norm;
            }
        }
    }
}
