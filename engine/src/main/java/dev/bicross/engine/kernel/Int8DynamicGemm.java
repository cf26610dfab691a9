package dev.bicross.engine.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * int8 × int8 GEMM with dynamic activation quantization ({@link Precision#INT8_DYNAMIC}): each row of x is
 * quantized on the fly (symmetric, one scale per row, {@link QuantizedRows}), dot products are exact in int32,
 * and y = epilogue(dot · xScale[row] · wScale[col] + b).
 *
 * <p>The Vector API has no int8 dot-product instruction (no {@code vpmaddubsw}/{@code vpmaddwd}/VNNI), so the
 * products are widened by hand. Codes are in [−127, 127], so a product fits in 16 bits (≤ 16,129) and so does
 * the sum of two (≤ 32,258). Weights are packed in pairs of inputs: for panel p and pair kk, the codes
 * (q[c][2kk], q[c][2kk+1]) of each of the NR columns side by side, widened byte → short to one vector of 2·NR
 * shorts. x is packed as one int per (row, pair) holding its two 16-bit codes, so a 32-bit broadcast gives
 * (x[2kk], x[2kk+1]) in every short pair. Per two pairs: two 16-bit multiplies, one 16-bit add, then each 32-bit
 * lane (hi·2¹⁶ + lo) is split into its two signed halves (shift left 16 + arithmetic shift right 16, arithmetic
 * shift right 16) and both are added to the int32 accumulator: 4 inputs per lane for 8 integer operations, where
 * the FP32 kernel needs 4 FMAs.
 */
final class Int8DynamicGemm {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorShape SHAPE = S.vectorShape();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    private static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, SHAPE);
    /** 2·NR bytes: half the float shape (at least 64 bits; 128-bit floats give exactly 64). */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    private static final int L = S.length();
    static final int MR = 8;
    static final int NR = L;
    static final int ROW_BLOCK = 64;
    /** Pairs of inputs per K block (384 inputs, as the FP32 kernel). */
    static final int KP_BLOCK = 192;

    private Int8DynamicGemm() {
    }

    /**
     * W quantized per output row, packed as panels of NR columns × pairs of inputs (see the class comment).
     * An odd last input is paired with a zero code; columns past {@code out} have code 0 and scale 0.
     *
     * @param scale (panels · NR) per-column dequantization scales
     */
    record Int8PairPanelWeights(byte[] data, float[] scale, int out, int in) implements PackedWeights {
        int panels() {
            return (out + NR - 1) / NR;
        }

        int pairs() {
            return (in + 1) / 2;
        }
    }

    static Int8PairPanelWeights pack(float[] weight, int out, int in) {
        QuantizedRows quantized = QuantizedRows.of(weight, out, in);
        int panels = (out + NR - 1) / NR;
        int pairs = (in + 1) / 2;
        byte[] data = new byte[Math.multiplyExact(Math.multiplyExact(panels, pairs), 2 * NR)];
        float[] scale = new float[panels * NR];
        for (int o = 0; o < out; o++) {
            int base = (o / NR) * pairs * 2 * NR + 2 * (o % NR);
            for (int k = 0; k < in; k++) {
                data[base + (k / 2) * 2 * NR + (k % 2)] = quantized.q()[o * in + k];
            }
            scale[o] = quantized.scale()[o];
        }
        return new Int8PairPanelWeights(data, scale, out, in);
    }

    /** Per thread: packed code pairs of a row block, one int tile, and the rows' scales and inverse scales. */
    private record Scratch(int[] xp, int[] tile, float[] rowScale, float[] rowInverse) {
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(
            new int[ROW_BLOCK * KP_BLOCK], new int[MR * NR], new float[ROW_BLOCK + MR], new float[ROW_BLOCK]));

    static void linear(WorkerPool pool, float[] x, int rows, Int8PairPanelWeights w, float[] bias, Epilogue epilogue,
                       float[] y) {
        if (rows == 0) {
            return;
        }
        int panels = w.panels();
        int rowBlocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        int wantedTasks = 4 * pool.threads();
        int panelGroups = Math.min(panels, Math.max(1, (wantedTasks + rowBlocks - 1) / rowBlocks));
        if ((long) rows * w.in() * w.out() < 1L << 16) {
            panelGroups = 1;
        }
        int groups = panelGroups;
        int panelsPerGroup = (panels + groups - 1) / groups;
        pool.run(rowBlocks * groups, task -> {
            int r0 = (task / groups) * ROW_BLOCK;
            int p0 = (task % groups) * panelsPerGroup;
            block(x, r0, Math.min(rows, r0 + ROW_BLOCK), w, p0, Math.min(panels, p0 + panelsPerGroup), bias,
                    epilogue, y);
        });
    }

    private static void block(float[] x, int r0, int r1, Int8PairPanelWeights w, int p0, int p1, float[] bias,
                              Epilogue epilogue, float[] y) {
        int in = w.in();
        int out = w.out();
        int pairs = w.pairs();
        Scratch scratch = SCRATCH.get();
        for (int r = r0; r < r1; r++) {
            float max = 0;
            for (int k = 0; k < in; k++) {
                max = Math.max(max, Math.abs(x[r * in + k]));
            }
            scratch.rowInverse()[r - r0] = QuantizedRows.inverseScale(max);
            scratch.rowScale()[r - r0] = max / QuantizedRows.MAX_CODE;
        }
        for (int kp0 = 0; kp0 < pairs; kp0 += KP_BLOCK) {
            int kpc = Math.min(pairs, kp0 + KP_BLOCK) - kp0;
            packRows(x, in, r0, r1, kp0, kpc, scratch);
            for (int p = p0; p < p1; p++) {
                int wOffset = (p * pairs + kp0) * 2 * NR;
                for (int r = r0; r < r1; r += MR) {
                    kernel(scratch.xp(), (r - r0) * kpc, w.data(), wOffset, kpc, scratch.tile());
                    merge(scratch, r - r0, w.scale(), y, r, Math.min(MR, r1 - r), p * NR, out, kp0 == 0);
                }
            }
        }
        int c0 = p0 * NR;
        int c1 = Math.min(out, p1 * NR);
        for (int r = r0; r < r1; r++) {
            VectorMath.addBiasAndActivate(y, r * out + c0, bias, c0, c1 - c0, epilogue);
        }
    }

    /**
     * xp[t][kk][i] = the codes of x[row][2(kp0+kk)] (low 16 bits) and x[row][2(kp0+kk)+1] (high 16 bits) for
     * row = r0 + t·MR + i; rows past r1 repeat row r1−1; an input past {@code in} has code 0.
     */
    private static void packRows(float[] x, int in, int r0, int r1, int kp0, int kpc, Scratch scratch) {
        int[] xp = scratch.xp();
        for (int t = 0; r0 + t * MR < r1; t++) {
            int dst = t * MR * kpc;
            for (int i = 0; i < MR; i++) {
                int row = Math.min(r0 + t * MR + i, r1 - 1);
                float inverse = scratch.rowInverse()[row - r0];
                int source = row * in;
                for (int kk = 0; kk < kpc; kk++) {
                    int k = 2 * (kp0 + kk);
                    int lo = QuantizedRows.code(x[source + k], inverse);
                    int hi = k + 1 < in ? QuantizedRows.code(x[source + k + 1], inverse) : 0;
                    xp[dst + kk * MR + i] = (lo & 0xFFFF) | (hi << 16);
                }
            }
        }
    }

    private static ShortVector widen(byte[] w, int offset) {
        return (ShortVector) ByteVector.fromArray(B, w, offset).convertShape(VectorOperators.B2S, SH, 0);
    }

    /** Adds the two signed 16-bit halves of each 32-bit lane of {@code products} to {@code acc}. */
    private static IntVector addHalves(IntVector acc, ShortVector products) {
        IntVector v = (IntVector) products.reinterpretShape(I, 0);
        return acc.add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                .add(v.lanewise(VectorOperators.ASHR, 16));
    }

    private static ShortVector pair(int[] xp, int at) {
        return (ShortVector) IntVector.broadcast(I, xp[at]).reinterpretShape(SH, 0);
    }

    /** tile[i][c] = Σ_kk (x codes of row i) · (w codes of column c) over kpc pairs, exact in int32. */
    private static void kernel(int[] xp, int xOffset, byte[] w, int wOffset, int kpc, int[] tile) {
        IntVector c0 = IntVector.zero(I);
        IntVector c1 = c0;
        IntVector c2 = c0;
        IntVector c3 = c0;
        IntVector c4 = c0;
        IntVector c5 = c0;
        IntVector c6 = c0;
        IntVector c7 = c0;
        // One pair per step: two steps summed in 16 bits before widening would save integer work but make the
        // method too large for C2 to inline the Vector API calls (NodeCountInliningCutoff), which boxes vectors.
        for (int kk = 0; kk < kpc; kk++) {
            int xk = xOffset + kk * MR;
            ShortVector a = widen(w, wOffset + kk * 2 * NR);
            c0 = addHalves(c0, pair(xp, xk).mul(a));
            c1 = addHalves(c1, pair(xp, xk + 1).mul(a));
            c2 = addHalves(c2, pair(xp, xk + 2).mul(a));
            c3 = addHalves(c3, pair(xp, xk + 3).mul(a));
            c4 = addHalves(c4, pair(xp, xk + 4).mul(a));
            c5 = addHalves(c5, pair(xp, xk + 5).mul(a));
            c6 = addHalves(c6, pair(xp, xk + 6).mul(a));
            c7 = addHalves(c7, pair(xp, xk + 7).mul(a));
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, L);
        c2.intoArray(tile, 2 * L);
        c3.intoArray(tile, 3 * L);
        c4.intoArray(tile, 4 * L);
        c5.intoArray(tile, 5 * L);
        c6.intoArray(tile, 6 * L);
        c7.intoArray(tile, 7 * L);
    }

    /** y[r+i][col …] (+)= tile[i] · rowScale[i] · wScale[col …] for the valid rows and columns inside out. */
    private static void merge(Scratch scratch, int rowInBlock, float[] wScale, float[] y, int r, int valid, int col,
                              int out, boolean first) {
        int[] tile = scratch.tile();
        float[] rowScale = scratch.rowScale();
        int width = Math.min(NR, out - col);
        FloatVector columnScale = FloatVector.fromArray(S, wScale, col);
        for (int i = 0; i < valid; i++) {
            int yRow = (r + i) * out + col;
            float xScale = rowScale[rowInBlock + i];
            if (width == L) {
                FloatVector v = ((FloatVector) IntVector.fromArray(I, tile, i * NR)
                        .convert(VectorOperators.I2F, 0)).mul(columnScale).mul(xScale);
                if (!first) {
                    v = v.add(FloatVector.fromArray(S, y, yRow));
                }
                v.intoArray(y, yRow);
            } else {
                for (int c = 0; c < width; c++) {
                    float value = tile[i * NR + c] * wScale[col + c] * xScale;
                    y[yRow + c] = first ? value : y[yRow + c] + value;
                }
            }
        }
    }
}
