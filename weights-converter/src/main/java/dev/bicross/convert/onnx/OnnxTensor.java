package dev.bicross.convert.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An ONNX {@code TensorProto}: name, element type, dimensions and the values, which came either as little-endian
 * {@code raw_data} or in one of the typed repeated fields ({@code float_data}, {@code int32_data}, ...). The raw
 * bytes are a view into the model's bytes, not a copy. Immutable.
 *
 * @param name     tensor name (initializer name, or empty for an anonymous attribute tensor)
 * @param dataType element type
 * @param dims     shape, outermost first; empty for a scalar
 * @param raw      little-endian {@code raw_data}, or null when the values came in a typed field
 * @param floats   {@code float_data}, or null
 * @param longs    {@code int32_data}, {@code int64_data} or {@code uint64_data} widened to long, or null
 * @param doubles  {@code double_data}, or null
 */
public record OnnxTensor(String name, OnnxDataType dataType, long[] dims, ByteBuffer raw, float[] floats, long[] longs,
                         double[] doubles) {

    /** Number of elements: the product of the dimensions (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Dimensions as ints, for tensors small enough to live in a Java array. */
    public int[] intDims() {
        return Arrays.stream(dims).mapToInt(Math::toIntExact).toArray();
    }

    /** The values as floats, for FLOAT, FLOAT16, BFLOAT16 and DOUBLE tensors. */
    public float[] toFloats() throws OnnxFormatException {
        int n = checkedCount();
        float[] out = new float[n];
        switch (dataType) {
            case FLOAT -> {
                if (raw != null) {
                    raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                } else if (floats != null) {
                    System.arraycopy(floats, 0, out, 0, n);
                }
            }
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(raw != null ? raw.getShort(2 * i) : (short) longs[i]);
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    int bits = raw != null ? raw.getShort(2 * i) & 0xFFFF : (int) longs[i] & 0xFFFF;
                    out[i] = Float.intBitsToFloat(bits << 16);
                }
            }
            case DOUBLE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (raw != null ? raw.getDouble(8 * i) : doubles[i]);
                }
            }
            default -> throw new OnnxFormatException("tensor '" + name + "' is " + dataType + ", not a floating-point type");
        }
        return out;
    }

    /** The values as longs, for integer and BOOL tensors (UINT64 values above 2^63 wrap). */
    public long[] toLongs() throws OnnxFormatException {
        int n = checkedCount();
        if (raw == null) {
            if (dataType.isFloatingPoint() || dataType == OnnxDataType.STRING) {
                throw new OnnxFormatException("tensor '" + name + "' is " + dataType + ", not an integer type");
            }
            long[] out = new long[n];
            if (longs != null) {
                for (int i = 0; i < n; i++) {
                    out[i] = switch (dataType) {
                        // int32_data carries the narrow types as int32: reinterpret with the right signedness.
                        case UINT8 -> longs[i] & 0xFF;
                        case INT8 -> (byte) longs[i];
                        case UINT16 -> longs[i] & 0xFFFF;
                        case INT16 -> (short) longs[i];
                        case INT32 -> (int) longs[i];
                        case UINT32 -> longs[i] & 0xFFFF_FFFFL;
                        case BOOL -> longs[i] != 0 ? 1 : 0;
                        default -> longs[i];
                    };
                }
            }
            return out;
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dataType) {
                case UINT8, BOOL -> raw.get(i) & 0xFF;
                case INT8 -> raw.get(i);
                case UINT16 -> raw.getShort(2 * i) & 0xFFFF;
                case INT16 -> raw.getShort(2 * i);
                case INT32 -> raw.getInt(4 * i);
                case UINT32 -> raw.getInt(4 * i) & 0xFFFF_FFFFL;
                case INT64, UINT64 -> raw.getLong(8 * i);
                default -> throw new OnnxFormatException("tensor '" + name + "' is " + dataType + ", not an integer type");
            };
        }
        return out;
    }

    /** Checks that the stored values match the dimensions and returns the element count. */
    private int checkedCount() throws OnnxFormatException {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new OnnxFormatException("tensor '" + name + "' has " + n + " elements, too many for one array");
        }
        if (raw != null) {
            if ((long) raw.remaining() != n * dataType.byteSize()) {
                throw mismatch("raw_data holds " + raw.remaining() + " bytes", n);
            }
            return (int) n;
        }
        // Without raw_data, each type has one typed field its values may come in (FLOAT16/BFLOAT16 as int32_data).
        Object values = switch (dataType) {
            case FLOAT -> floats;
            case DOUBLE -> doubles;
            default -> longs;
        };
        String field = switch (dataType) {
            case FLOAT -> "float_data";
            case DOUBLE -> "double_data";
            default -> "int32_data/int64_data/uint64_data";
        };
        int have = values == null ? 0 : java.lang.reflect.Array.getLength(values);
        if (have != n) {
            throw mismatch(values == null ? "it has neither raw_data nor " + field : field + " holds " + have + " values", n);
        }
        return (int) n;
    }

    private OnnxFormatException mismatch(String where, long n) {
        return new OnnxFormatException("tensor '" + name + "': " + where + " but dims " + Arrays.toString(dims) + " of "
                + dataType + " need " + n + " elements");
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + name + " " + dataType + " " + Arrays.toString(dims) + "]";
    }
}
