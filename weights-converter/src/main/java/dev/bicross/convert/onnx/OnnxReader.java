package dev.bicross.convert.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.bicross.convert.onnx.ProtoReader.FIXED32;
import static dev.bicross.convert.onnx.ProtoReader.FIXED64;
import static dev.bicross.convert.onnx.ProtoReader.LENGTH_DELIMITED;
import static dev.bicross.convert.onnx.ProtoReader.VARINT;

/**
 * Reads an ONNX model from its protobuf bytes with a small hand-written wire-format decoder covering ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto and the names of ValueInfoProto. Field numbers follow
 * {@code onnx.proto} (IR version 3 and later). Weights are not copied: tensors keep views into the given buffer.
 *
 * <p>Tensors stored as external data (a side file) are rejected with a message saying so; sub-graphs (If/Loop
 * bodies) are skipped, since BERT-style encoders do not use them.
 */
public final class OnnxReader {

    /** Largest file readable as one buffer; bigger models use external data anyway. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final String source;
    /** Whether a ModelProto field that ONNX always writes (ir_version, graph, opset_import) has started. */
    private boolean sawField;

    private OnnxReader(String source) {
        this.source = source;
    }

    /**
     * Reads (memory-maps) an ONNX file.
     *
     * @throws OnnxFormatException naming the file, for bytes that are not a well-formed ONNX model
     * @throws IOException         if the file cannot be read
     */
    public static OnnxModel read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_BYTES) {
                throw new OnnxFormatException(file + ": " + size + " bytes is over the 2 GB a single ONNX protobuf can"
                        + " hold; models that large keep weights in external data, which bicross does not read");
            }
            ByteBuffer bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return read(bytes, file.toString());
        }
    }

    /**
     * Reads an ONNX model from bytes; {@code source} names them in error messages (a file, or jar!/entry).
     *
     * @throws OnnxFormatException the only exception for bad bytes (truncated, not protobuf, a field of the wrong
     *                             kind, external data); tensor values are checked when decoded ({@link OnnxTensor})
     */
    public static OnnxModel read(ByteBuffer bytes, String source) throws OnnxFormatException {
        return new OnnxReader(source).model(new ProtoReader(source, bytes.order(ByteOrder.LITTLE_ENDIAN), 0, "ModelProto"));
    }

    private OnnxModel model(ProtoReader r) throws OnnxFormatException {
        try {
            return modelFields(r);
        } catch (OnnxFormatException e) {
            if (!sawField) {
                // Failing on the very first field: these bytes were never protobuf (text, JSON, another format).
                String detail = e.getMessage().startsWith(source + ": ")
                        ? e.getMessage().substring(source.length() + 2) : e.getMessage();
                throw new OnnxFormatException(source + ": not an ONNX model (" + detail + ")");
            }
            throw e;
        }
    }

    private OnnxModel modelFields(ProtoReader r) throws OnnxFormatException {
        long irVersion = -1;
        String producer = "";
        String producerVersion = "";
        long opset = 0;
        OnnxGraph graph = null;
        while (r.next()) {
            sawField |= r.field() == 1 || r.field() == 7 || r.field() == 8;
            switch (r.field()) {
                case 1 -> {
                    r.expect(VARINT, "ModelProto.ir_version");
                    irVersion = r.varint();
                }
                case 2 -> {
                    r.expect(LENGTH_DELIMITED, "ModelProto.producer_name");
                    producer = r.string();
                }
                case 3 -> {
                    r.expect(LENGTH_DELIMITED, "ModelProto.producer_version");
                    producerVersion = r.string();
                }
                case 7 -> {
                    r.expect(LENGTH_DELIMITED, "ModelProto.graph");
                    graph = graph(r.message("GraphProto"));
                }
                case 8 -> {
                    r.expect(LENGTH_DELIMITED, "ModelProto.opset_import");
                    ProtoReader o = r.message("OperatorSetIdProto");
                    String domain = "";
                    long version = 0;
                    while (o.next()) {
                        if (o.field() == 1 && o.wireType() == LENGTH_DELIMITED) {
                            domain = o.string();
                        } else if (o.field() == 2 && o.wireType() == VARINT) {
                            version = o.varint();
                        } else {
                            o.skip();
                        }
                    }
                    if (domain.isEmpty() || domain.equals("ai.onnx")) {
                        opset = version;
                    }
                }
                default -> r.skip();
            }
        }
        if (graph == null || irVersion < 0) {
            throw new OnnxFormatException(source + ": not an ONNX model (no " + (graph == null ? "graph" : "ir_version")
                    + " in the ModelProto)");
        }
        return new OnnxModel(source, irVersion, producer, producerVersion, opset, graph);
    }

    private OnnxGraph graph(ProtoReader r) throws OnnxFormatException {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(LENGTH_DELIMITED, "GraphProto.node");
                    nodes.add(node(r.message("NodeProto #" + nodes.size())));
                }
                case 2 -> {
                    r.expect(LENGTH_DELIMITED, "GraphProto.name");
                    name = r.string();
                }
                case 5 -> {
                    r.expect(LENGTH_DELIMITED, "GraphProto.initializer");
                    OnnxTensor t = tensor(r.message("initializer #" + initializers.size()), true);
                    if (initializers.put(t.name(), t) != null) {
                        throw new OnnxFormatException(source + ": initializer '" + t.name() + "' appears twice");
                    }
                }
                case 11, 12 -> {
                    r.expect(LENGTH_DELIMITED, "GraphProto.input/output");
                    (r.field() == 11 ? inputs : outputs).add(valueInfoName(r.message("ValueInfoProto")));
                }
                case 15 -> throw new OnnxFormatException(source + ": the graph has sparse initializers, which bicross"
                        + " does not read (export with dense weights)");
                default -> r.skip();
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }

    private String valueInfoName(ProtoReader r) throws OnnxFormatException {
        String name = "";
        while (r.next()) {
            if (r.field() == 1 && r.wireType() == LENGTH_DELIMITED) {
                name = r.string();
            } else {
                r.skip();
            }
        }
        return name;
    }

    private OnnxNode node(ProtoReader r) throws OnnxFormatException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = "";
        String domain = "";
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.input");
                    inputs.add(r.string());
                }
                case 2 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.output");
                    outputs.add(r.string());
                }
                case 3 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.name");
                    name = r.string();
                }
                case 4 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.op_type");
                    op = r.string();
                }
                case 5 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.attribute");
                    OnnxAttribute a = attribute(r.message("AttributeProto"));
                    attributes.put(a.name(), a);
                }
                case 7 -> {
                    r.expect(LENGTH_DELIMITED, "NodeProto.domain");
                    domain = r.string();
                }
                default -> r.skip();
            }
        }
        if (op.isEmpty()) {
            throw new OnnxFormatException(source + ": node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, op, domain, List.copyOf(inputs), List.copyOf(outputs), attributes);
    }

    private OnnxAttribute attribute(ProtoReader r) throws OnnxFormatException {
        String name = "";
        float f = 0;
        long i = 0;
        String s = null;
        OnnxTensor t = null;
        List<Float> floats = null;
        ProtoReader.LongList ints = null;
        int type = 0;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(LENGTH_DELIMITED, "AttributeProto.name");
                    name = r.string();
                }
                case 2 -> {
                    r.expect(FIXED32, "AttributeProto.f");
                    f = Float.intBitsToFloat(r.fixed32());
                }
                case 3 -> {
                    r.expect(VARINT, "AttributeProto.i");
                    i = r.varint();
                }
                case 4 -> {
                    r.expect(LENGTH_DELIMITED, "AttributeProto.s");
                    s = r.string();
                }
                case 5 -> {
                    r.expect(LENGTH_DELIMITED, "AttributeProto.t");
                    t = tensor(r.message("attribute tensor"), false);
                }
                case 7 -> {
                    if (floats == null) {
                        floats = new ArrayList<>();
                    }
                    if (r.wireType() == LENGTH_DELIMITED) {
                        ByteBuffer b = r.bytes();
                        while (b.remaining() >= 4) {
                            floats.add(b.getFloat());
                        }
                    } else {
                        r.expect(FIXED32, "AttributeProto.floats");
                        floats.add(Float.intBitsToFloat(r.fixed32()));
                    }
                }
                case 8 -> {
                    if (ints == null) {
                        ints = new ProtoReader.LongList();
                    }
                    r.repeatedVarint(ints);
                }
                case 20 -> {
                    r.expect(VARINT, "AttributeProto.type");
                    type = (int) r.varint();
                }
                default -> r.skip();
            }
        }
        float[] fa = null;
        if (floats != null) {
            fa = new float[floats.size()];
            for (int k = 0; k < fa.length; k++) {
                fa[k] = floats.get(k);
            }
        }
        return new OnnxAttribute(name, f, i, s, t, fa, ints == null ? null : ints.toArray(), type);
    }

    private OnnxTensor tensor(ProtoReader r, boolean initializer) throws OnnxFormatException {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        FloatList floats = null;
        ProtoReader.LongList longs = null;
        List<Double> doubles = null;
        String externalLocation = null;
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.repeatedVarint(dims);
                case 2 -> {
                    r.expect(VARINT, "TensorProto.data_type");
                    dataType = (int) r.varint();
                }
                case 3 -> throw new OnnxFormatException(source + ": tensor '" + name + "' is segmented, which bicross"
                        + " does not read");
                case 4 -> {
                    if (floats == null) {
                        floats = new FloatList();
                    }
                    if (r.wireType() == LENGTH_DELIMITED) {
                        ByteBuffer b = r.bytes();
                        while (b.remaining() >= 4) {
                            floats.add(b.getFloat());
                        }
                    } else {
                        r.expect(FIXED32, "TensorProto.float_data");
                        floats.add(Float.intBitsToFloat(r.fixed32()));
                    }
                }
                case 5, 7, 11 -> {
                    if (longs == null) {
                        longs = new ProtoReader.LongList();
                    }
                    r.repeatedVarint(longs);
                }
                case 8 -> {
                    r.expect(LENGTH_DELIMITED, "TensorProto.name");
                    name = r.string();
                }
                case 9 -> {
                    r.expect(LENGTH_DELIMITED, "TensorProto.raw_data");
                    raw = r.bytes();
                }
                case 10 -> {
                    if (doubles == null) {
                        doubles = new ArrayList<>();
                    }
                    if (r.wireType() == LENGTH_DELIMITED) {
                        ByteBuffer b = r.bytes();
                        while (b.remaining() >= 8) {
                            doubles.add(b.getDouble());
                        }
                    } else {
                        r.expect(FIXED64, "TensorProto.double_data");
                        doubles.add(Double.longBitsToDouble(r.fixed64()));
                    }
                }
                case 13 -> {
                    r.expect(LENGTH_DELIMITED, "TensorProto.external_data");
                    ProtoReader kv = r.message("StringStringEntryProto");
                    String key = "";
                    String value = "";
                    while (kv.next()) {
                        if (kv.field() == 1 && kv.wireType() == LENGTH_DELIMITED) {
                            key = kv.string();
                        } else if (kv.field() == 2 && kv.wireType() == LENGTH_DELIMITED) {
                            value = kv.string();
                        } else {
                            kv.skip();
                        }
                    }
                    if (key.equals("location")) {
                        externalLocation = value;
                    }
                    external = true;
                }
                case 14 -> {
                    r.expect(VARINT, "TensorProto.data_location");
                    external |= r.varint() == 1;
                }
                default -> r.skip();
            }
        }
        if (external) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' keeps its data in an external file"
                    + (externalLocation == null ? "" : " ('" + externalLocation + "')")
                    + "; bicross reads self-contained ONNX files only (re-save the model with all tensors inside,"
                    + " e.g. onnx.save_model(m, path, save_as_external_data=False))");
        }
        long elements = 1;
        for (long d : dims.toArray()) {
            if (d < 0) {
                throw new OnnxFormatException(source + ": tensor '" + name + "' has a negative dimension " + d);
            }
            if (d != 0 && elements > Long.MAX_VALUE / d) {
                throw new OnnxFormatException(source + ": tensor '" + name + "' has dims "
                        + java.util.Arrays.toString(dims.toArray()) + " whose element count overflows");
            }
            elements *= d;
        }
        OnnxDataType type = OnnxDataType.ofCode(dataType);
        if (type == null) {
            if (!initializer) {
                // Constants of exotic types cannot matter to a BERT weight conversion; keep them unreadable.
                return new OnnxTensor(name, OnnxDataType.STRING, dims.toArray(), null, null, null, null);
            }
            throw new OnnxFormatException(source + ": tensor '" + name + "' has data type " + dataType
                    + ", which bicross does not read (supported: float, float16, bfloat16, double and integer types)");
        }
        double[] da = null;
        if (doubles != null) {
            da = doubles.stream().mapToDouble(Double::doubleValue).toArray();
        }
        return new OnnxTensor(name, type, dims.toArray(), raw, floats == null ? null : floats.toArray(),
                longs == null ? null : longs.toArray(), da);
    }

    /** A growable float list for unpacked float_data. */
    private static final class FloatList {
        private float[] values = new float[16];
        private int size;

        void add(float v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
