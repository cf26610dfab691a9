package dev.bicross.index.kernel;

/** Holds the once-per-JVM choice of kernels (lazy, thread-safe by class initialisation). */
final class KernelChoice {

    static final DistanceKernels CHOSEN = choose();

    private KernelChoice() {
    }

    private static DistanceKernels choose() {
        System.Logger log = System.getLogger("dev.bicross.index");
        if ("false".equalsIgnoreCase(System.getProperty(DistanceKernels.SIMD_PROPERTY))) {
            log.log(System.Logger.Level.INFO, "bicross index: scalar distance kernels ({0}=false)",
                    DistanceKernels.SIMD_PROPERTY);
            return new ScalarDistanceKernels();
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            log.log(System.Logger.Level.INFO,
                    "bicross index: scalar distance kernels (add --add-modules jdk.incubator.vector for SIMD)");
            return new ScalarDistanceKernels();
        }
        DistanceKernels chosen = VectorDistanceKernels.instance();
        log.log(System.Logger.Level.DEBUG, "bicross index: {0} distance kernels", chosen.name());
        return chosen;
    }
}
