package dev.bicross.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = epilogue(x·Wᵀ + b) on {@link PanelWeights}, after the GotoBLAS/BLIS loop structure:
 * <pre>
 *   for each block of ROW_BLOCK rows and group of panels   (a task; tasks run in parallel)
 *     for each K_BLOCK slice of the inputs                   (keeps a weight panel slice in L1)
 *       for each panel of NR = NV·L output columns
 *         for each tile of MR rows: micro-kernel             (MR × NV vector accumulators in registers)
 * </pre>
 * The micro-kernel broadcasts x[r][k] for each of its MR rows and multiplies it with the NV vectors of the
 * panel's row k: MR·NV FMAs for NV loads and MR broadcasts. Partial sums of earlier K slices live in y;
 * bias and activation are applied when the last slice is stored. Row tails re-read the last valid row
 * (computed, not stored); column tails are zero in the panel and masked on store.
 */
final class VectorGemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    static final int MR = 4;
    static final int NV = 3;
    static final int NR = NV * L;
    static final int ROW_BLOCK = 64;
    static final int K_BLOCK = 256;

    private VectorGemm() {
    }

    static PanelWeights pack(float[] weight, int out, int in) {
        return PanelWeights.pack(weight, out, in, NR);
    }

    static void linear(WorkerPool pool, float[] x, int rows, PanelWeights w, float[] bias, Epilogue epilogue,
                       float[] y) {
        if (rows == 0) {
            return;
        }
        int panels = w.panels();
        int rowBlocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        // Few rows (a short query, the pooler): split the columns too, so every thread gets work.
        int wantedTasks = 4 * pool.threads();
        int panelGroups = Math.min(panels, Math.max(1, (wantedTasks + rowBlocks - 1) / rowBlocks));
        if ((long) rows * w.in() * w.out() < 1L << 16) {
            panelGroups = 1; // too small to be worth waking threads
            rowBlocks = 1;
        }
        int groups = panelGroups;
        int blocks = rowBlocks;
        int rowsPerBlock = blocks == 1 ? rows : ROW_BLOCK;
        int panelsPerGroup = (panels + groups - 1) / groups;
        pool.run(blocks * groups, task -> {
            int r0 = (task / groups) * rowsPerBlock;
            int p0 = (task % groups) * panelsPerGroup;
            block(x, rows, r0, Math.min(rows, r0 + rowsPerBlock), w, p0, Math.min(panels, p0 + panelsPerGroup),
                    bias, epilogue, y);
        });
    }

    private static void block(float[] x, int rows, int r0, int r1, PanelWeights w, int p0, int p1, float[] bias,
                              Epilogue epilogue, float[] y) {
        int in = w.in();
        for (int k0 = 0; k0 < in; k0 += K_BLOCK) {
            int k1 = Math.min(in, k0 + K_BLOCK);
            boolean first = k0 == 0;
            boolean last = k1 == in;
            for (int p = p0; p < p1; p++) {
                for (int r = r0; r < r1; r += MR) {
                    tile(x, rows, r, Math.min(MR, r1 - r), w, p, k0, k1, first, last, bias, epilogue, y);
                }
            }
        }
    }

    /** The MR × NV micro-kernel: rows r … r+valid−1, panel p, inputs k0 … k1−1. */
    private static void tile(float[] x, int rows, int r, int valid, PanelWeights pw, int p, int k0, int k1,
                             boolean first, boolean last, float[] bias, Epilogue epilogue, float[] y) {
        int in = pw.in();
        float[] w = pw.data();
        int x0 = r * in;
        int x1 = Math.min(r + 1, rows - 1) * in;
        int x2 = Math.min(r + 2, rows - 1) * in;
        int x3 = Math.min(r + 3, rows - 1) * in;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        int wk = (p * in + k0) * NR;
        for (int k = k0; k < k1; k++, wk += NR) {
            FloatVector b0 = FloatVector.fromArray(S, w, wk);
            FloatVector b1 = FloatVector.fromArray(S, w, wk + L);
            FloatVector b2 = FloatVector.fromArray(S, w, wk + 2 * L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(S, x[x1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(S, x[x2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            a = FloatVector.broadcast(S, x[x3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
        }
        int out = pw.out();
        int col = p * NR;
        store(c00, y, r * out, col, out, first, last, bias, epilogue);
        store(c01, y, r * out, col + L, out, first, last, bias, epilogue);
        store(c02, y, r * out, col + 2 * L, out, first, last, bias, epilogue);
        if (valid > 1) {
            store(c10, y, (r + 1) * out, col, out, first, last, bias, epilogue);
            store(c11, y, (r + 1) * out, col + L, out, first, last, bias, epilogue);
            store(c12, y, (r + 1) * out, col + 2 * L, out, first, last, bias, epilogue);
        }
        if (valid > 2) {
            store(c20, y, (r + 2) * out, col, out, first, last, bias, epilogue);
            store(c21, y, (r + 2) * out, col + L, out, first, last, bias, epilogue);
            store(c22, y, (r + 2) * out, col + 2 * L, out, first, last, bias, epilogue);
        }
        if (valid > 3) {
            store(c30, y, (r + 3) * out, col, out, first, last, bias, epilogue);
            store(c31, y, (r + 3) * out, col + L, out, first, last, bias, epilogue);
            store(c32, y, (r + 3) * out, col + 2 * L, out, first, last, bias, epilogue);
        }
    }

    /** Adds the earlier K slices' partial sum, and on the last slice bias and epilogue; masked at the right edge. */
    private static void store(FloatVector acc, float[] y, int rowOffset, int col, int out, boolean first,
                              boolean last, float[] bias, Epilogue epilogue) {
        if (col >= out) {
            return;
        }
        if (col + L <= out) {
            if (!first) {
                acc = acc.add(FloatVector.fromArray(S, y, rowOffset + col));
            }
            if (last) {
                if (bias != null) {
                    acc = acc.add(FloatVector.fromArray(S, bias, col));
                }
                acc = activate(acc, epilogue);
            }
            acc.intoArray(y, rowOffset + col);
        } else {
            VectorMask<Float> inside = S.indexInRange(col, out);
            if (!first) {
                acc = acc.add(FloatVector.fromArray(S, y, rowOffset + col, inside));
            }
            if (last) {
                if (bias != null) {
                    acc = acc.add(FloatVector.fromArray(S, bias, col, inside));
                }
                acc = activate(acc, epilogue);
            }
            acc.intoArray(y, rowOffset + col, inside);
        }
    }

    private static FloatVector activate(FloatVector v, Epilogue epilogue) {
        return switch (epilogue) {
            case NONE -> v;
            case GELU -> VectorMath.gelu(v);
            case TANH -> VectorMath.tanh(v);
        };
    }
}
