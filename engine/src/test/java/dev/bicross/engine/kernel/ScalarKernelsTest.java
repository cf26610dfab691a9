package dev.bicross.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The oracle's special functions against values from the literature. */
class ScalarKernelsTest {

    /** erf(x) to 16 digits, from Abramowitz &amp; Stegun table 7.1 / standard references. */
    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
                {0.0, 0.0},
                {0.1, 0.1124629160182849},
                {0.5, 0.5204998778130465},
                {1.0, 0.8427007929497149},
                {1.5, 0.9661051464753108},
                {2.0, 0.9953222650189527},
                {2.5, 0.9995930479825550},
                {3.0, 0.9999779095030014},
                {3.5, 0.9999992569016276},
                {4.0, 0.9999999845827421},
        };
        for (double[] row : table) {
            assertEquals(row[1], ScalarKernels.erf(row[0]), 2e-15, "erf(" + row[0] + ")");
            assertEquals(-row[1], ScalarKernels.erf(-row[0]), 2e-15, "erf(-" + row[0] + ")");
        }
        // erfc tails, relative: the GELU of very negative inputs depends on them
        assertEquals(2.209049699858544e-05, ScalarKernels.erfcLarge(3.0), 1e-13 * 2.2e-5 * 1e3);
        assertEquals(1.5374597944280349e-12, ScalarKernels.erfcLarge(5.0), 1.5374597944280349e-12 * 1e-12);
        assertEquals(1.0, ScalarKernels.erf(30), 0);
    }

    /** Both branches of erf agree where they meet. */
    @Test
    void erfIsContinuousAtTheBranchPoint() {
        double below = ScalarKernels.erf(Math.nextDown(3.0));
        double at = ScalarKernels.erf(3.0);
        assertEquals(at, below, 1e-15);
    }

    /** GELU(z) = z·Φ(z), with Φ the standard normal CDF: Φ(1) = 0.8413447460685429, Φ(−2) = 0.0227501319481792. */
    @Test
    void geluMatchesNormalCdf() {
        assertEquals(0f, ScalarKernels.gelu(0f), 0);
        assertEquals(0.8413447460685429f, ScalarKernels.gelu(1f), 1e-7f);
        assertEquals(-2 * 0.0227501319481792f, ScalarKernels.gelu(-2f), 1e-8f);
        assertEquals(3 * 0.9986501019683699f, ScalarKernels.gelu(3f), 1e-6f);
        // Φ(−5) = 2.866515718791939e-7: relative accuracy in the tail
        assertEquals(-5 * 2.866515718791939e-7, ScalarKernels.gelu(-5f), 1e-12);
        // Φ(−10) = 7.619853024160527e-24: no cancellation deep in the tail
        assertEquals(-10 * 7.619853024160527e-24, ScalarKernels.gelu(-10f), 1e-28);
    }
}
