package dev.bicross.bench.index;

import dev.bicross.index.FlatIndex;
import dev.bicross.index.Metric;
import dev.bicross.index.SearchHit;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded synthetic stand-in for sentence embeddings (real ones are not available yet): unit vectors around
 * {@code count/100} centres (norm ~1), each cluster varying along its own 32 random directions (norm ~0.8) plus
 * isotropic noise (norm ~1.2), tuned so that recall@10 at ef 10 is well below 0.95 as with real embeddings.
 * Ground truth is the exact
 * top-10 from {@link FlatIndex} (dot product on the normalised vectors).
 */
final class AnnCorpus {

    static final int K = 10;

    final int dimension;
    final float[][] vectors;
    final float[][] queries;
    final int[][] truth;

    AnnCorpus(int count, int dimension, int queryCount, long seed) {
        this.dimension = dimension;
        int clusters = Math.max(10, count / 100);
        SplittableRandom random = new SplittableRandom(seed);
        int rank = 32;
        float[][] centres = new float[clusters][];
        float[][][] bases = new float[clusters][rank][];
        for (int c = 0; c < clusters; c++) {
            centres[c] = gaussian(random, dimension, 1.0 / Math.sqrt(dimension));
            for (int r = 0; r < rank; r++) {
                bases[c][r] = gaussian(random, dimension, 1.0 / Math.sqrt(dimension));
            }
        }
        this.vectors = new float[count][];
        for (int i = 0; i < count; i++) {
            vectors[i] = sample(random, centres, bases, rank);
        }
        this.queries = new float[queryCount][];
        for (int i = 0; i < queryCount; i++) {
            queries[i] = sample(random, centres, bases, rank);
        }
        this.truth = groundTruth(vectors, queries);
    }

    /** Given vectors and queries (real embeddings), L2-normalised here so that dot product is cosine. */
    AnnCorpus(float[][] vectors, float[][] queries) {
        this.dimension = vectors[0].length;
        this.vectors = normalised(vectors);
        this.queries = normalised(queries);
        this.truth = groundTruth(this.vectors, this.queries);
    }

    /** Document vectors of a {@link CollectionEmbeddings} folder as the corpus, its query vectors as queries. */
    static AnnCorpus fromFolder(java.nio.file.Path dir) throws java.io.IOException {
        CollectionEmbeddings.Vectors v = CollectionEmbeddings.readAll(dir);
        return new AnnCorpus(v.documents(), v.queries());
    }

    private static float[][] normalised(float[][] in) {
        float[][] out = new float[in.length][];
        for (int i = 0; i < in.length; i++) {
            double norm = 0;
            for (float x : in[i]) {
                norm += (double) x * x;
            }
            out[i] = new float[in[i].length];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = (float) (in[i][j] / Math.sqrt(norm));
            }
        }
        return out;
    }

    private static int[][] groundTruth(float[][] vectors, float[][] queries) {
        int dimension = vectors[0].length;
        int count = vectors.length;
        int queryCount = queries.length;
        FlatIndex exact = FlatIndex.create(dimension, Metric.DOT_PRODUCT);
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = i;
        }
        exact.addAll(ids, vectors);
        int[][] truth = new int[queryCount][];
        for (int q = 0; q < queryCount; q++) {
            List<SearchHit> hits = exact.search(queries[q], K);
            truth[q] = hits.stream().mapToInt(h -> (int) h.id()).toArray();
        }
        return truth;
    }

    private float[] sample(SplittableRandom random, float[][] centres, float[][][] bases, int rank) {
        int c = random.nextInt(centres.length);
        double[] x = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            x[i] = centres[c][i] + 1.2 * gaussian(random) / Math.sqrt(dimension);
        }
        for (int r = 0; r < rank; r++) {
            double z = 0.8 * gaussian(random) / Math.sqrt(rank);
            for (int i = 0; i < dimension; i++) {
                x[i] += z * bases[c][r][i];
            }
        }
        double norm = 0;
        for (double v : x) {
            norm += v * v;
        }
        float[] out = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            out[i] = (float) (x[i] / Math.sqrt(norm));
        }
        return out;
    }

    private static float[] gaussian(SplittableRandom random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * gaussian(random));
        }
        return v;
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** recall@10 of {@code found[q]} (ordinals) against the exact answers. */
    double recall(int[][] found) {
        int hits = 0;
        for (int q = 0; q < truth.length; q++) {
            for (int id : found[q]) {
                for (int t : truth[q]) {
                    if (t == id) {
                        hits++;
                        break;
                    }
                }
            }
        }
        return (double) hits / (truth.length * K);
    }
}
