package dev.bicross.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuAffinityTest {

    private static boolean has(long[] mask, int cpu) {
        return (mask[cpu >>> 6] & (1L << (cpu & 63))) != 0;
    }

    private static int count(long[] mask) {
        return Arrays.stream(mask).mapToInt(Long::bitCount).sum();
    }

    @Test
    void activeOnLinuxWithNativeAccessAndMoreThanOneCpu() {
        boolean linux = System.getProperty("os.name").toLowerCase().contains("linux");
        boolean enabled = CpuAffinity.class.getModule().isNativeAccessEnabled();
        assumeTrue(linux && enabled, "needs Linux and --enable-native-access (surefire passes it)");
        long[] allowed = CpuAffinity.allowed();
        if (Runtime.getRuntime().availableProcessors() > 1) {
            assertTrue(CpuAffinity.active(), "Linux, native access and several CPUs, yet inactive");
            assertNotNull(allowed);
            assertEquals(Runtime.getRuntime().availableProcessors(), count(allowed));
            int cpu = CpuAffinity.currentCpu();
            assertTrue(cpu >= 0 && has(allowed, cpu), "current CPU " + cpu + " is not among the allowed ones");
        } else {
            assertFalse(CpuAffinity.active(), "one CPU: nothing to keep off");
        }
    }

    @Test
    void avoidTakesExactlyThatCpuOutAndRestoreGivesItBack() throws Exception {
        assumeTrue(CpuAffinity.active(), "CPU affinity not available here");
        long[] allowed = CpuAffinity.allowed();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // a thread of its own, so the test runner's thread keeps its affinity whatever happens
        Thread t = new Thread(() -> {
            try {
                int cpu = CpuAffinity.currentCpu();
                assertTrue(CpuAffinity.avoid(cpu));
                long[] now = CpuAffinity.currentMask();
                assertFalse(has(now, cpu), "CPU " + cpu + " still allowed");
                assertEquals(count(allowed) - 1, count(now));
                assertTrue(CpuAffinity.currentCpu() != cpu, "still running on the avoided CPU");
                CpuAffinity.restore();
                assertArrayEquals(allowed, CpuAffinity.currentMask());
                assertFalse(CpuAffinity.avoid(-1));
                assertFalse(CpuAffinity.avoid(allowed.length * 64));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
