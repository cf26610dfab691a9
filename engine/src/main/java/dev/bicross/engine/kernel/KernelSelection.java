package dev.bicross.engine.kernel;

import java.lang.System.Logger.Level;
import java.util.Locale;

/** Picks the process-wide {@link Kernels} from system properties, once. */
final class KernelSelection {

    static final String KERNELS_PROPERTY = "bicross.kernels";
    static final String THREADS_PROPERTY = "bicross.threads";

    private static final System.Logger LOG = System.getLogger("dev.bicross.engine.kernel");

    private KernelSelection() {
    }

    private static final class Holder {
        static final Kernels SHARED = choose();
    }

    static Kernels shared() {
        return Holder.SHARED;
    }

    /** Worker threads for parallel kernels: {@code bicross.threads}, default the number of available processors. */
    static int threads() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + value + ": expected a positive integer");
    }

    private static Kernels choose() {
        String requested = System.getProperty(KERNELS_PROPERTY, "vector").trim().toLowerCase(Locale.ROOT);
        Kernels kernels = switch (requested) {
            case "scalar" -> new ScalarKernels();
            case "vector" -> vectorOrScalar();
            default -> throw new IllegalArgumentException("-D" + KERNELS_PROPERTY + "=" + requested
                    + ": unknown kernels (bicross supports scalar, vector)");
        };
        LOG.log(Level.INFO, "bicross kernels: {0}", kernels.name()
                + (kernels instanceof VectorKernels v ? ", " + v.threads() + " threads"
                        + affinityNote(v.threads(), CpuAffinity.missingNativeAccess()) : ""));
        if (kernels instanceof VectorKernels) {
            String off = stripMiningOff(vmOption("UseCountedLoopSafepoints"), vmOption("LoopStripMiningIter"));
            if (off != null) {
                String collectors = String.join(", ", java.lang.management.ManagementFactory
                        .getGarbageCollectorMXBeans().stream()
                        .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
                LOG.log(Level.WARNING, "bicross kernels: loop strip mining is off in this JVM ({0}; the default "
                        + "under the Parallel and Serial collectors, here: {1}), and C2 then compiles the GEMM "
                        + "micro-kernel with accumulators spilled to the stack (about 2.3x slower measured on JDK "
                        + "25). Add -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000, or run G1 (the "
                        + "default on 2+ CPUs and 1792+ MB), ZGC or Shenandoah, which turn it on", off, collectors);
            }
        }
        return kernels;
    }

    /**
     * What the startup line adds when several kernel threads run without {@link CpuAffinity} only because native
     * access is not enabled: measured on the 2-core VM, a 10-token query after 50 ms of idleness then took 6 or
     * 10 ms by turns (the worker woken onto the caller's core), 0.77–0.82× ONNX Runtime, against 1.04× with it.
     */
    static String affinityNote(int threads, boolean missingNativeAccess) {
        return threads > 1 && missingNativeAccess
                ? " (add --enable-native-access=ALL-UNNAMED so that bicross can keep them on separate cores: "
                        + "without it a call after idle time sometimes runs them on one)"
                : "";
    }

    /**
     * The flag that turns C2's loop strip mining off, or null when it is on or the flags are unknown (not HotSpot).
     * With strip mining on (the default under G1, ZGC and Shenandoah) C2 on JDK 25 interleaves the 6 × 2 GEMM
     * micro-kernel's broadcasts with its FMAs and keeps all twelve accumulators in registers. With it off (the
     * default under Parallel and Serial) the same code comes out with all six broadcasts first and five
     * accumulators spilled to the stack; the two flags below make the compiled kernel identical to G1's (compared
     * instruction by instruction).
     *
     * @param countedLoopSafepoints the value of {@code UseCountedLoopSafepoints}, or null if unknown
     * @param stripMiningIter the value of {@code LoopStripMiningIter}, or null if unknown
     */
    static String stripMiningOff(String countedLoopSafepoints, String stripMiningIter) {
        if ("false".equals(countedLoopSafepoints)) {
            return "-XX:-UseCountedLoopSafepoints";
        }
        if (stripMiningIter != null && stripMiningIter.trim().matches("0+")) {
            return "-XX:LoopStripMiningIter=" + stripMiningIter.trim();
        }
        return null;
    }

    /** A HotSpot VM option's current value, or null on a JVM without it or without jdk.management. */
    private static String vmOption(String name) {
        try {
            var diagnostics = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return diagnostics == null ? null : diagnostics.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static Kernels vectorOrScalar() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.log(Level.WARNING, "bicross kernels: Vector API unavailable (start the JVM with "
                    + "--add-modules jdk.incubator.vector), falling back to scalar kernels");
            return new ScalarKernels();
        }
        try {
            return new VectorKernels(threads());
        } catch (LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.log(Level.WARNING, "bicross kernels: Vector API unusable ({0}), falling back to scalar kernels",
                    cause.toString());
            return new ScalarKernels();
        }
    }
}
