package dev.bicross.bench.index;

/** Finds, per library, the smallest ef whose recall@10 reaches a target (measured outside any timing). */
final class EfCalibration {

    static final int MAX_EF = 4096;

    private EfCalibration() {
    }

    static double recall(AnnLibrary library, AnnCorpus corpus, int ef) {
        int[][] found = new int[corpus.queries.length][];
        for (int q = 0; q < found.length; q++) {
            found[q] = library.search(corpus.queries[q], AnnCorpus.K, Math.max(ef, AnnCorpus.K));
        }
        return corpus.recall(found);
    }

    /** Smallest ef in [10, MAX_EF] with recall >= target (recall grows with ef up to noise); MAX_EF if none. */
    static int efFor(AnnLibrary library, AnnCorpus corpus, double target) {
        int low = AnnCorpus.K;
        if (recall(library, corpus, low) >= target) {
            return low;
        }
        int high = low * 2;
        while (high < MAX_EF && recall(library, corpus, high) < target) {
            low = high;
            high *= 2;
        }
        if (high >= MAX_EF) {
            return MAX_EF;
        }
        while (high - low > Math.max(1, low / 20)) { // within 5%
            int mid = (low + high) >>> 1;
            if (recall(library, corpus, mid) >= target) {
                high = mid;
            } else {
                low = mid;
            }
        }
        return high;
    }
}
