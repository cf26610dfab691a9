package dev.bicross.convert.onnx;

/**
 * An ONNX {@code AttributeProto}, reduced to the kinds a weights converter needs. Unused fields are zero or null.
 *
 * @param name   attribute name, e.g. {@code epsilon}
 * @param f      value of a FLOAT attribute
 * @param i      value of an INT attribute
 * @param s      value of a STRING attribute (bytes as UTF-8), or null
 * @param t      value of a TENSOR attribute (e.g. a Constant's {@code value}), or null
 * @param floats values of a FLOATS attribute, or null
 * @param ints   values of an INTS attribute, or null
 * @param type   the declared {@code AttributeType} code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS ...)
 */
public record OnnxAttribute(String name, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints, int type) {

    /** AttributeType code of a FLOAT attribute. */
    public static final int FLOAT = 1;
    /** AttributeType code of an INT attribute. */
    public static final int INT = 2;
    /** AttributeType code of a TENSOR attribute. */
    public static final int TENSOR = 4;
}
