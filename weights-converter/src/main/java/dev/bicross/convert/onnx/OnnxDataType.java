package dev.bicross.convert.onnx;

/** ONNX {@code TensorProto.DataType} values this reader understands, with their protobuf codes. */
public enum OnnxDataType {
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    BFLOAT16(16, 2);

    private final int code;
    private final int byteSize;

    OnnxDataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The protobuf enum value. */
    public int code() {
        return code;
    }

    /** Bytes per element in {@code raw_data} (0 for STRING, which has no raw form). */
    public int byteSize() {
        return byteSize;
    }

    /** Whether values convert to float without loss of meaning (FLOAT, FLOAT16, BFLOAT16, DOUBLE). */
    public boolean isFloatingPoint() {
        return this == FLOAT || this == FLOAT16 || this == BFLOAT16 || this == DOUBLE;
    }

    /** The type for a protobuf code, or null when bicross does not know it (complex, float8, int4 ...). */
    public static OnnxDataType ofCode(int code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
