package dev.bicross.engine.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps a {@link WorkerPool} worker off the core its caller runs on, through Linux's {@code sched_getcpu} and
 * {@code sched_setaffinity} (libc, called with the FFM API; no library of ours).
 *
 * <p>Why: when a caller wakes a parked worker, the Linux scheduler sometimes puts the worker on the caller's own
 * core (the other one idle), and both then run at half speed until the load balancer separates them, which takes
 * milliseconds. Measured on the project's 2-core VM: a 10-token query after 100 ms of idleness took 11.0 ms on 2
 * threads against 10.5 ms on 1 (no gain from the second thread at all), and two threads computing right after a
 * pause each ran at 60% speed; pinned apart they ran at full speed.
 *
 * <p>Only active on Linux and when native access is enabled for this code
 * ({@code --enable-native-access=ALL-UNNAMED}, which the CLI and the benchmarks pass); otherwise every method is a
 * no-op, so the JVM prints no restricted-method warning. {@code -Dbicross.affinity=false} turns it off. A worker
 * is allowed every CPU the process may use except the caller's, so taskset and container limits stay respected.
 */
final class CpuAffinity {

    /** Bytes of the cpu_set_t we pass: 1,024 CPUs, glibc's default size. */
    private static final long MASK_BYTES = 128;

    private static final MethodHandle GET_CPU;
    private static final MethodHandle GET_AFFINITY;
    private static final MethodHandle SET_AFFINITY;
    /** The CPUs the process may run on when the class was loaded (null when inactive). */
    private static final long[] ALLOWED;

    static {
        MethodHandle getCpu = null;
        MethodHandle getAffinity = null;
        MethodHandle setAffinity = null;
        long[] allowed = null;
        if (wanted()) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> getCpuSymbol = libc.find("sched_getcpu");
                Optional<MemorySegment> getSymbol = libc.find("sched_getaffinity");
                Optional<MemorySegment> setSymbol = libc.find("sched_setaffinity");
                if (getCpuSymbol.isPresent() && getSymbol.isPresent() && setSymbol.isPresent()) {
                    getCpu = linker.downcallHandle(getCpuSymbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT),
                            Linker.Option.critical(false));
                    FunctionDescriptor affinity = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                    getAffinity = linker.downcallHandle(getSymbol.get(), affinity);
                    setAffinity = linker.downcallHandle(setSymbol.get(), affinity);
                    allowed = readAffinity(getAffinity);
                }
            } catch (Throwable e) {
                allowed = null; // not available here: stay a no-op
            }
        }
        GET_CPU = getCpu;
        GET_AFFINITY = getAffinity;
        SET_AFFINITY = setAffinity;
        ALLOWED = allowed != null && bitCount(allowed) > 1 ? allowed : null;
    }

    private CpuAffinity() {
    }

    private static boolean wanted() {
        return requested() && CpuAffinity.class.getModule().isNativeAccessEnabled();
    }

    /** Linux, and not turned off with {@code -Dbicross.affinity=false}. */
    private static boolean requested() {
        return Boolean.parseBoolean(System.getProperty("bicross.affinity", "true"))
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    private static int bitCount(long[] words) {
        int n = 0;
        for (int i = 0; i < words.length; i++) {
            n += Long.bitCount(words[i]);
        }
        return n;
    }

    private static long[] readAffinity(MethodHandle getAffinity) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            int rc = (int) getAffinity.invokeExact(0, MASK_BYTES, mask);
            return rc == 0 ? mask.toArray(ValueLayout.JAVA_LONG) : null;
        }
    }

    /**
     * Whether affinity is wanted (Linux, not turned off) but unavailable only because native access is not
     * enabled for this code.
     */
    static boolean missingNativeAccess() {
        return requested() && !CpuAffinity.class.getModule().isNativeAccessEnabled();
    }

    /** Whether this JVM can keep workers off their caller's core. */
    static boolean active() {
        return ALLOWED != null;
    }

    /** The CPU the calling thread runs on now, or −1 when unknown. */
    static int currentCpu() {
        if (ALLOWED == null) {
            return -1;
        }
        try {
            return (int) GET_CPU.invokeExact();
        } catch (Throwable e) {
            return -1;
        }
    }

    /**
     * Lets the calling thread run on every allowed CPU except {@code cpu}; false when that is not possible (no
     * other CPU allowed, unknown CPU, inactive).
     */
    static boolean avoid(int cpu) {
        if (ALLOWED == null || cpu < 0 || cpu >= ALLOWED.length * 64) {
            return false;
        }
        long[] mask = ALLOWED.clone();
        mask[cpu >>> 6] &= ~(1L << (cpu & 63));
        if (bitCount(mask) == 0) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(MASK_BYTES, 8);
            MemorySegment.copy(mask, 0, segment, ValueLayout.JAVA_LONG, 0, mask.length);
            return (int) SET_AFFINITY.invokeExact(0, MASK_BYTES, segment) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    /** Gives the calling thread back every CPU the process was allowed at start (after {@link #avoid}). */
    static void restore() {
        if (ALLOWED == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(MASK_BYTES, 8);
            MemorySegment.copy(ALLOWED, 0, segment, ValueLayout.JAVA_LONG, 0, ALLOWED.length);
            int ignored = (int) SET_AFFINITY.invokeExact(0, MASK_BYTES, segment);
        } catch (Throwable e) {
            // best effort: the thread keeps the narrower set
        }
    }

    /** The CPUs the process was allowed at start, one bit per CPU (a copy), or null when inactive. */
    static long[] allowed() {
        return ALLOWED == null ? null : ALLOWED.clone();
    }

    /** The CPUs the calling thread may run on now, or null when inactive. */
    static long[] currentMask() {
        if (ALLOWED == null) {
            return null;
        }
        try {
            return readAffinity(GET_AFFINITY);
        } catch (Throwable e) {
            return null;
        }
    }
}
