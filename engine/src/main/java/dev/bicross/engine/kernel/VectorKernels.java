package dev.bicross.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the JDK Vector API ({@code jdk.incubator.vector}): a register-blocked GEMM on weights packed
 * once at load ({@link VectorGemm}), fused bias + GELU/tanh, vectorised layer norm and attention, parallel over a
 * persistent {@link WorkerPool}. The vector width is {@link VectorWidth#FLOAT} ({@code -Dbicross.vectorBits}).
 * Thread-safe: calls share only the worker pool; scratch buffers are per thread.
 */
public final class VectorKernels implements Kernels {

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    /** Floats of layer-norm work per parallel task (fewer rows than that stay on the calling thread). */
    private static final int PARALLEL_THRESHOLD = 1 << 15;

    private final WorkerPool pool;

    /** Vector kernels running on {@code threads} threads (the caller plus threads − 1 pooled workers). */
    public VectorKernels(int threads) {
        this.pool = new WorkerPool(threads);
    }

    /** Number of threads a call may use. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public String name() {
        return "vector-" + S.vectorBitSize();
    }

    @Override
    public String toString() {
        return name() + "/" + threads() + " threads";
    }

    @Override
    public PackedWeights pack(float[] weight, int out, int in) {
        ScalarKernels.checkWeight(weight, out, in);
        return VectorGemm.pack(weight, out, in);
    }

    @Override
    public PackedWeights pack(float[] weight, int out, int in, Precision precision) {
        ScalarKernels.checkWeight(weight, out, in);
        return switch (precision) {
            case FP32 -> VectorGemm.pack(weight, out, in);
            case INT8 -> Int8Gemm.pack(weight, out, in);
            case INT8_DYNAMIC -> Int8DynamicGemm.pack(weight, out, in);
        };
    }

    @Override
    public void linear(float[] x, int rows, PackedWeights w, float[] bias, Epilogue epilogue, float[] y) {
        if (w instanceof Int8Gemm.Int8PanelWeights int8) {
            ScalarKernels.checkLinear(x, rows, w, bias, epilogue, y);
            VectorGemm.linear(pool, x, rows, int8, bias, epilogue, y);
            return;
        }
        if (w instanceof Int8DynamicGemm.Int8PairPanelWeights int8) {
            ScalarKernels.checkLinear(x, rows, w, bias, epilogue, y);
            Int8DynamicGemm.linear(pool, x, rows, int8, bias, epilogue, y);
            return;
        }
        if (!(w instanceof PanelWeights panels) || panels.panelWidth() != VectorGemm.NR) {
            throw new IllegalArgumentException("linear: weights were packed by another Kernels implementation ("
                    + w.getClass().getSimpleName() + "), expected " + name());
        }
        ScalarKernels.checkLinear(x, rows, w, bias, epilogue, y);
        VectorGemm.linear(pool, x, rows, panels, bias, epilogue, y);
    }

    @Override
    public void linearHeadMajor(float[] x, int rows, PackedWeights w, float[] bias, int headDim, float[] y) {
        ScalarKernels.checkHeadMajor(w, headDim);
        ScalarKernels.checkLinear(x, rows, w, bias, Epilogue.NONE, y);
        if (headDim % VectorGemm.NR == 0 && w instanceof VectorGemm.PanelSource panels
                && (!(w instanceof PanelWeights fp32) || fp32.panelWidth() == VectorGemm.NR)) {
            VectorGemm.linear(pool, x, rows, panels, bias, Epilogue.NONE, y, headDim); // stored in place
            return;
        }
        // heads that a panel would straddle, or the int8-dynamic path: row-major, then copied
        float[] rowMajor = new float[Math.multiplyExact(rows, w.out())];
        linear(x, rows, w, bias, Epilogue.NONE, rowMajor);
        ScalarKernels.toHeadMajor(rowMajor, rows, w.out(), headDim, y);
    }

    @Override
    public void addLayerNorm(float[] x, float[] residual, int rows, int dim, float[] gamma, float[] beta,
                             float eps) {
        ScalarKernels.checkLayerNorm(x, residual, rows, dim, gamma, beta, eps);
        int rowsPerTask = Math.max(1, PARALLEL_THRESHOLD / dim);
        int tasks = (rows + rowsPerTask - 1) / rowsPerTask;
        pool.run(tasks, t -> {
            int end = Math.min(rows, (t + 1) * rowsPerTask);
            for (int r = t * rowsPerTask; r < end; r++) {
                layerNormRow(x, residual, r * dim, dim, gamma, beta, eps);
            }
        });
    }

    /** Two passes in float with L partial sums per pass: mean, then the biased variance around it. */
    private static void layerNormRow(float[] x, float[] residual, int base, int dim, float[] gamma, float[] beta,
                                     float eps) {
        int bound = S.loopBound(dim);
        FloatVector sums = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, base + i);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, base + i));
                v.intoArray(x, base + i);
            }
            sums = sums.add(v);
        }
        float sum = VectorMath.sumLanes(sums);
        for (; i < dim; i++) {
            if (residual != null) {
                x[base + i] += residual[base + i];
            }
            sum += x[base + i];
        }
        float mean = sum / dim;
        FloatVector squares = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, base + i).sub(mean);
            squares = d.fma(d, squares);
        }
        float squareSum = VectorMath.sumLanes(squares);
        for (; i < dim; i++) {
            float d = x[base + i] - mean;
            squareSum += d * d;
        }
        float invStd = (float) (1.0 / Math.sqrt(squareSum / dim + (double) eps));
        for (i = 0; i < bound; i += L) {
            FloatVector normalised = FloatVector.fromArray(S, x, base + i).sub(mean).mul(invStd);
            normalised.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i))
                    .intoArray(x, base + i);
        }
        for (; i < dim; i++) {
            x[base + i] = (x[base + i] - mean) * invStd * gamma[i] + beta[i];
        }
    }

    @Override
    public void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        ScalarKernels.checkAttention(qkv, seqOffsets, heads, headDim, out);
        attention(qkv, seqOffsets, heads, headDim, out, false);
    }

    @Override
    public void attentionFirstTokens(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out) {
        ScalarKernels.checkAttentionFirstTokens(qkv, seqOffsets, heads, headDim, out);
        attention(qkv, seqOffsets, heads, headDim, out, true);
    }

    private void attention(float[] qkv, int[] seqOffsets, int heads, int headDim, float[] out, boolean firstOnly) {
        int sequences = seqOffsets.length - 1;
        long work = 0; // multiply-adds of the scores and the weighted values
        for (int s = 0; s < sequences; s++) {
            long length = seqOffsets[s + 1] - seqOffsets[s];
            work += 2 * (firstOnly ? 1 : length) * length * heads * headDim;
        }
        if (work < PARALLEL_THRESHOLD * 4L) { // a short query: cheaper than waking a worker
            for (int task = 0; task < sequences * heads; task++) {
                VectorAttention.head(qkv, seqOffsets, task / heads, task % heads, heads, headDim, out, firstOnly);
            }
            return;
        }
        pool.run(sequences * heads,
                task -> VectorAttention.head(qkv, seqOffsets, task / heads, task % heads, heads, headDim, out,
                        firstOnly));
    }
}
