package dev.bicross.engine.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelSelectionTest {

    /**
     * Flag values as HotSpotDiagnosticMXBean reports them under each collector on JDK 25 (G1/ZGC/Shenandoah:
     * true and 1000; Parallel/Serial: false and 0); unknown flags (another JVM) give no warning.
     */
    @Test
    void warnsOnlyWhenLoopStripMiningIsOff() {
        assertEquals("-XX:-UseCountedLoopSafepoints", KernelSelection.stripMiningOff("false", "0"));
        assertEquals("-XX:-UseCountedLoopSafepoints", KernelSelection.stripMiningOff("false", "1000"));
        assertEquals("-XX:LoopStripMiningIter=0", KernelSelection.stripMiningOff("true", "0"));
        assertNull(KernelSelection.stripMiningOff("true", "1000"));
        assertNull(KernelSelection.stripMiningOff("true", "1"));
        assertNull(KernelSelection.stripMiningOff(null, null));
    }

    /** The startup line asks for native access only when several threads would run without affinity for lack of it. */
    @Test
    void asksForNativeAccessOnlyWhenItMatters() {
        assertTrue(KernelSelection.affinityNote(2, true).contains("--enable-native-access=ALL-UNNAMED"));
        assertEquals("", KernelSelection.affinityNote(1, true));
        assertEquals("", KernelSelection.affinityNote(2, false));
    }
}
