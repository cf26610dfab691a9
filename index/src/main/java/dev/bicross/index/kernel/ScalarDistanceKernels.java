package dev.bicross.index.kernel;

/** Plain-loop kernels: the reference the SIMD kernels are tested against, and the fallback without SIMD. */
public final class ScalarDistanceKernels implements DistanceKernels {

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        float sum = 0f;
        for (int i = 0; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public float squaredDistance(float[] a, int aOffset, float[] b, int bOffset, int length) {
        float sum = 0f;
        for (int i = 0; i < length; i++) {
            float d = a[aOffset + i] - b[bOffset + i];
            sum += d * d;
        }
        return sum;
    }

    @Override
    public void dot4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length, float[] out,
                     int outOffset) {
        out[outOffset] = dot(query, 0, block, o0, length);
        out[outOffset + 1] = dot(query, 0, block, o1, length);
        out[outOffset + 2] = dot(query, 0, block, o2, length);
        out[outOffset + 3] = dot(query, 0, block, o3, length);
    }

    @Override
    public void squaredDistance4(float[] query, float[] block, int o0, int o1, int o2, int o3, int length,
                                 float[] out, int outOffset) {
        out[outOffset] = squaredDistance(query, 0, block, o0, length);
        out[outOffset + 1] = squaredDistance(query, 0, block, o1, length);
        out[outOffset + 2] = squaredDistance(query, 0, block, o2, length);
        out[outOffset + 3] = squaredDistance(query, 0, block, o3, length);
    }

    @Override
    public String name() {
        return "scalar";
    }
}
