package dev.bicross.engine.kernel;

import java.lang.System.Logger.Level;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every vector kernel uses, fixed once per JVM from {@code -Dbicross.vectorBits=256|512}.
 * It is a {@code static final} on purpose: C2 only turns Vector API calls into single instructions when the
 * species is a compile-time constant. A width the CPU cannot execute natively (e.g. 512 without AVX-512) would
 * run the Vector API's slow Java fallback, so it is clamped to the widest native shape with one log line.
 */
final class VectorWidth {

    static final String PROPERTY = "bicross.vectorBits";

    static final VectorSpecies<Float> FLOAT = choose();

    private VectorWidth() {
    }

    private static VectorSpecies<Float> choose() {
        int nativeBits = VectorShape.preferredShape().vectorBitSize();
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        int bits = switch (value.trim()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + value
                    + ": unsupported vector width (bicross supports 128, 256, 512)");
        };
        if (bits > nativeBits) {
            System.getLogger("dev.bicross.engine.kernel").log(Level.WARNING,
                    "-D{0}={1}: this CPU runs at most {2}-bit vectors natively; using {2}", PROPERTY, bits,
                    nativeBits);
            bits = nativeBits;
        }
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(bits)).check(float.class);
    }
}
