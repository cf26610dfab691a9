package dev.bicross.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class KernelSelectionTest {

    /** The MXBean names JDK 25 reports for each collector (printed by -XX:+Use…GC runs on this machine). */
    @Test
    void warnsOnlyForTheCollectorsThatSlowTheGemmDown() {
        assertEquals("Parallel", KernelSelection.slowCollector(List.of("PS MarkSweep", "PS Scavenge")));
        assertEquals("Serial", KernelSelection.slowCollector(List.of("Copy", "MarkSweepCompact")));
        assertNull(KernelSelection.slowCollector(
                List.of("G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation")));
        assertNull(KernelSelection.slowCollector(
                List.of("ZGC Minor Cycles", "ZGC Minor Pauses", "ZGC Major Cycles", "ZGC Major Pauses")));
        assertNull(KernelSelection.slowCollector(List.of("Shenandoah Pauses", "Shenandoah Cycles")));
        assertNull(KernelSelection.slowCollector(List.of()));
    }
}
