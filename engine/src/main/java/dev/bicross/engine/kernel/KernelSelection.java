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
                + (kernels instanceof VectorKernels v ? ", " + v.threads() + " threads" : ""));
        if (kernels instanceof VectorKernels) {
            String slow = slowCollector(java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
            if (slow != null) {
                LOG.log(Level.WARNING, "bicross kernels: this JVM runs the {0} garbage collector, under which C2 "
                        + "compiles the GEMM micro-kernel with accumulators spilled to the stack (about 2.3x slower "
                        + "measured on JDK 25); start the JVM with -XX:+UseG1GC (the default on machines with 2+ "
                        + "CPUs and 1792+ MB) or -XX:+UseZGC", slow);
            }
        }
        return kernels;
    }

    /**
     * "Parallel" or "Serial" when the collectors' MXBean names show one of them, else null. Under those two, C2 on
     * JDK 25 schedules all six broadcasts of the 6 × 2 micro-kernel first and spills five accumulators (seen in the
     * compiled code); under G1, ZGC and Shenandoah it interleaves them and keeps every accumulator in a register.
     */
    static String slowCollector(java.util.List<String> collectorNames) {
        for (String name : collectorNames) {
            if (name.startsWith("PS ")) {
                return "Parallel";
            }
            if (name.equals("Copy") || name.equals("MarkSweepCompact")) {
                return "Serial";
            }
        }
        return null;
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
