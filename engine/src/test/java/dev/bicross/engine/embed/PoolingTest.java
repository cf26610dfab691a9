package dev.bicross.engine.embed;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class PoolingTest {

    // Two sequences packed: rows 0-1 (unused here) and rows 2-4, dim 2.
    private static final float[] HIDDEN = {9, 9, 9, 9, 1, -2, 3, 4, -1, 7};

    @Test
    void meanClsAndMaxOverOneSequenceOfAPackedBatch() {
        float[] out = new float[2];
        Pooling.MEAN.pool(HIDDEN, 2, 3, 2, out);
        assertArrayEquals(new float[]{1, 3}, out);
        Pooling.CLS.pool(HIDDEN, 2, 3, 2, out);
        assertArrayEquals(new float[]{1, -2}, out);
        Pooling.MAX.pool(HIDDEN, 2, 3, 2, out);
        assertArrayEquals(new float[]{3, 7}, out);
    }

    @Test
    void l2NormalizeMakesUnitLengthAndLeavesZeroAlone() {
        float[] v = {3, 4};
        Pooling.l2Normalize(v);
        assertArrayEquals(new float[]{0.6f, 0.8f}, v, 1e-7f);
        float[] zero = {0, 0};
        Pooling.l2Normalize(zero);
        assertArrayEquals(new float[]{0, 0}, zero);
    }
}
