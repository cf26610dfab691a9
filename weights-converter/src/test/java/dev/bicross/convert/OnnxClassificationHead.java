package dev.bicross.convert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test fixture: appends a BertForSequenceClassification head to an ONNX encoder that outputs
 * {@code last_hidden_state}, so ONNX Runtime can serve as the reference for our cross-encoder.
 *
 * Shared with the benchmarks through this module's test-jar.
 *
 * <p>The head is logits = (tanh(h[:, 0, :] · Wp + bp)) · Wc + bc, as Gather(axis 1, index 0) → MatMul → Add → Tanh →
 * MatMul → Add. It is added without parsing the model: protobuf merges a message field that occurs twice, and
 * concatenates its repeated fields, so appending a second {@code ModelProto.graph} that holds only the new nodes,
 * initializers and output extends the original graph.
 */
public final class OnnxClassificationHead {

    // ModelProto / GraphProto / NodeProto / AttributeProto / TensorProto / ValueInfoProto field numbers (onnx.proto3)
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
    private static final int ATTR_NAME = 1, ATTR_I = 3, ATTR_TYPE = 20, ATTR_TYPE_INT = 2;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    private static final int TENSOR_FLOAT = 1, TENSOR_INT64 = 7;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TYPE_ELEM = 1, TYPE_SHAPE = 2;
    private static final int SHAPE_DIM = 1, DIM_PARAM = 2, DIM_VALUE = 1;

    private OnnxClassificationHead() {
    }

    /**
     * Returns the model bytes with the head appended and a new graph output {@code logits} (batch × labels).
     *
     * @param poolerWeight HF orientation (hidden × hidden, [out, in])
     * @param classifierWeight HF orientation (labels × hidden, [out, in])
     */
    public static byte[] append(byte[] model, int hidden, int labels, float[] poolerWeight, float[] poolerBias,
                         float[] classifierWeight, float[] classifierBias) {
        ProtoWriter graph = new ProtoWriter();
        graph.message(GRAPH_INITIALIZER, int64Scalar("head.cls_index", 0));
        graph.message(GRAPH_INITIALIZER, floatTensor("head.pooler_w", transpose(poolerWeight, hidden, hidden), hidden, hidden));
        graph.message(GRAPH_INITIALIZER, floatTensor("head.pooler_b", poolerBias, hidden));
        graph.message(GRAPH_INITIALIZER, floatTensor("head.classifier_w", transpose(classifierWeight, labels, hidden), hidden, labels));
        graph.message(GRAPH_INITIALIZER, floatTensor("head.classifier_b", classifierBias, labels));

        ProtoWriter axis = new ProtoWriter().string(ATTR_NAME, "axis").varint(ATTR_I, 1).varint(ATTR_TYPE, ATTR_TYPE_INT);
        graph.message(GRAPH_NODE, node("head.gather", "Gather", axis, "head.cls", "last_hidden_state", "head.cls_index"));
        graph.message(GRAPH_NODE, node("head.pooler_mm", "MatMul", null, "head.pooler_mm", "head.cls", "head.pooler_w"));
        graph.message(GRAPH_NODE, node("head.pooler_add", "Add", null, "head.pooler_pre", "head.pooler_mm", "head.pooler_b"));
        graph.message(GRAPH_NODE, node("head.pooler_tanh", "Tanh", null, "head.pooled", "head.pooler_pre"));
        graph.message(GRAPH_NODE, node("head.classifier_mm", "MatMul", null, "head.classifier_mm", "head.pooled", "head.classifier_w"));
        graph.message(GRAPH_NODE, node("head.classifier_add", "Add", null, "logits", "head.classifier_mm", "head.classifier_b"));

        ProtoWriter shape = new ProtoWriter()
                .message(SHAPE_DIM, new ProtoWriter().string(DIM_PARAM, "batch_size"))
                .message(SHAPE_DIM, new ProtoWriter().varint(DIM_VALUE, labels));
        ProtoWriter tensorType = new ProtoWriter().varint(TYPE_ELEM, TENSOR_FLOAT).message(TYPE_SHAPE, shape);
        graph.message(GRAPH_OUTPUT, new ProtoWriter().string(VALUE_NAME, "logits")
                .message(VALUE_TYPE, new ProtoWriter().message(TYPE_TENSOR, tensorType)));

        ProtoWriter tail = new ProtoWriter().message(MODEL_GRAPH, graph);
        byte[] extra = tail.toByteArray();
        byte[] out = new byte[model.length + extra.length];
        System.arraycopy(model, 0, out, 0, model.length);
        System.arraycopy(extra, 0, out, model.length, extra.length);
        return out;
    }

    private static ProtoWriter node(String name, String op, ProtoWriter attribute, String output, String... inputs) {
        ProtoWriter node = new ProtoWriter();
        for (String input : inputs) {
            node.string(NODE_INPUT, input);
        }
        node.string(NODE_OUTPUT, output).string(NODE_NAME, name).string(NODE_OP_TYPE, op);
        if (attribute != null) {
            node.message(NODE_ATTRIBUTE, attribute);
        }
        return node;
    }

    private static ProtoWriter floatTensor(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.varint(TENSOR_DIMS, d);
        }
        return t.varint(TENSOR_DATA_TYPE, TENSOR_FLOAT).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw.array());
    }

    private static ProtoWriter int64Scalar(String name, long value) {
        ByteBuffer raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return new ProtoWriter().varint(TENSOR_DATA_TYPE, TENSOR_INT64).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw.array());
    }

    /** (rows × cols) row-major → (cols × rows) row-major. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

}
