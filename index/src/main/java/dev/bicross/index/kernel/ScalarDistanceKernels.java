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
    public String name() {
        return "scalar";
    }
}
