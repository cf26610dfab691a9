package dev.bicross.engine.safetensors;

import java.util.Optional;

/** The element types a safetensors header may name, with their size in bytes. */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether bicross converts this type to {@code float} at load (F32, F16, BF16). */
    public boolean isFloatingPointWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The type spelled as in a safetensors header (e.g. {@code "BF16"}), or empty when unknown. */
    public static Optional<DType> fromHeader(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
