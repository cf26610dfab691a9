package dev.bicross.convert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds ONNX protobuf messages by hand for tests, with field numbers from onnx.proto: ModelProto (ir_version 1,
 * producer_name 2, graph 7, opset_import 8), GraphProto (node 1, name 2, initializer 5, input 11, output 12),
 * NodeProto (input 1, output 2, name 3, op_type 4, attribute 5), AttributeProto (name 1, f 2, i 3, t 5, ints 8,
 * type 20), TensorProto (dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9, external_data 13,
 * data_location 14).
 */
final class OnnxBuilder {

    static final int FLOAT = 1;
    static final int INT64 = 7;

    private final ProtoWriter graph = new ProtoWriter().string(2, "test");

    OnnxBuilder node(String op, String name, String[] inputs, String[] outputs, ProtoWriter... attributes) {
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) {
            n.string(1, in);
        }
        for (String out : outputs) {
            n.string(2, out);
        }
        n.string(3, name).string(4, op);
        for (ProtoWriter a : attributes) {
            n.message(5, a);
        }
        graph.message(1, n);
        return this;
    }

    OnnxBuilder initializer(ProtoWriter tensor) {
        graph.message(5, tensor);
        return this;
    }

    byte[] model() {
        return new ProtoWriter().varint(1, 8).string(2, "test-exporter")
                .message(8, new ProtoWriter().string(1, "").varint(2, 11))
                .message(7, graph).toByteArray();
    }

    /** A FLOAT tensor stored as little-endian raw_data. */
    static ProtoWriter rawFloats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return dims(new ProtoWriter(), dims).varint(2, FLOAT).string(8, name).bytes(9, b.array());
    }

    /** A FLOAT tensor stored in the typed float_data field (packed). */
    static ProtoWriter floatData(String name, long[] dims, float[] values) {
        return dims(new ProtoWriter(), dims).varint(2, FLOAT).string(8, name).packedFloats(4, values);
    }

    /** An INT64 tensor in int64_data. */
    static ProtoWriter int64Data(String name, long[] dims, long... values) {
        return dims(new ProtoWriter(), dims).varint(2, INT64).string(8, name).packedVarints(7, values);
    }

    static ProtoWriter dims(ProtoWriter t, long[] dims) {
        for (long d : dims) {
            t.varint(1, d); // unpacked on purpose: readers must accept both encodings
        }
        return t;
    }

    static ProtoWriter tensorAttribute(String name, ProtoWriter tensor) {
        return new ProtoWriter().string(1, name).message(5, tensor).varint(20, 4);
    }

    static ProtoWriter intsAttribute(String name, long... values) {
        return new ProtoWriter().string(1, name).packedVarints(8, values).varint(20, 7);
    }

    static ProtoWriter intAttribute(String name, long value) {
        return new ProtoWriter().string(1, name).varint(3, value).varint(20, 2);
    }

    static ProtoWriter floatAttribute(String name, float value) {
        return new ProtoWriter().string(1, name).fixed32(2, Float.floatToRawIntBits(value)).varint(20, 1);
    }

    static String[] in(String... names) {
        return names;
    }
}
