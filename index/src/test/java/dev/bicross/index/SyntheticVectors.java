package dev.bicross.index;

import java.util.SplittableRandom;

/** Seeded test data: Gaussian clusters, the shape real embeddings have (topics), with exact oracles built on them. */
final class SyntheticVectors {

    private SyntheticVectors() {
    }

    /** {@code count} vectors around {@code clusters} random centres, spread {@code spread} per component. */
    static float[][] clustered(int count, int dimension, int clusters, double spread, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] centres = new double[clusters][dimension];
        for (double[] centre : centres) {
            for (int i = 0; i < dimension; i++) {
                centre[i] = gaussian(random);
            }
        }
        float[][] vectors = new float[count][dimension];
        for (int n = 0; n < count; n++) {
            double[] centre = centres[random.nextInt(clusters)];
            for (int i = 0; i < dimension; i++) {
                vectors[n][i] = (float) (centre[i] + spread * gaussian(random));
            }
        }
        return vectors;
    }

    static long[] ids(int count, long first) {
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = first + i;
        }
        return ids;
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
