package dev.bicross.engine.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code .safetensors} file, memory-mapped read-only with FFM. The format: an 8-byte little-endian header length
 * N, N bytes of JSON mapping each tensor name to {@code {dtype, shape, data_offsets: [begin, end]}} (offsets relative
 * to the data section that follows the header), then the raw little-endian tensor bytes.
 *
 * <p>{@link #open} validates the whole header before anything is read: lengths within the file, every tensor's
 * byte range within the data section, its size equal to dtype × shape, no two ranges overlapping. Every error
 * names the file and the tensor. Thread-safe for reads; {@link #close} unmaps the file.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The format's own cap on the JSON header; a larger claim is refused before anything is allocated. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @throws ModelFormatException if the file is truncated, its header is corrupt or lies about offsets
     * @throws IOException          if the file cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new ModelFormatException(path + ": truncated safetensors file (" + size
                        + " bytes; it must start with an 8-byte header length)");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = file.get(I64_LE, 0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
                throw new ModelFormatException(path + ": corrupt safetensors header length " + headerLength
                        + " (file has " + size + " bytes; the header must fit in the file and be at most "
                        + MAX_HEADER_BYTES + " bytes)");
            }
            byte[] headerBytes = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, headerBytes, dataSize, metadata);
            return new SafetensorsFile(path, arena, file, dataStart, tensors, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path path, byte[] headerBytes, long dataSize,
                                                       Map<String, String> metadata) throws ModelFormatException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(new String(headerBytes, StandardCharsets.UTF_8).trim());
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(path + ": corrupt safetensors header (not valid JSON: "
                    + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(path + ": corrupt safetensors header (expected a JSON object)");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            String name = entry.getKey();
            JsonNode node = entry.getValue();
            if (name.equals("__metadata__")) {
                if (node.isObject()) {
                    node.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                }
                continue;
            }
            tensors.put(name, parseTensor(path, name, node, dataSize));
        }
        checkNoOverlap(path, tensors.values());
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize)
            throws ModelFormatException {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": header entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + ": missing or non-text 'dtype'");
        }
        DType dtype = DType.fromHeader(dtypeNode.asText()).orElseThrow(() -> new ModelFormatException(
                where + ": unknown dtype '" + dtypeNode.asText() + "'"));
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new ModelFormatException(where + ": missing or non-array 'shape'");
        }
        long[] shape = new long[shapeNode.size()];
        long bytes = dtype.bytes();
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new ModelFormatException(where + ": invalid dimension " + d + " in shape " + shapeNode);
            }
            shape[i] = d.asLong();
            try {
                bytes = Math.multiplyExact(bytes, shape[i]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": shape " + shapeNode + " is too large (size overflows)");
            }
        }
        if (offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2
                || !offsetsNode.get(0).isIntegralNumber() || !offsetsNode.get(1).isIntegralNumber()
                || !offsetsNode.get(0).canConvertToLong() || !offsetsNode.get(1).canConvertToLong()) {
            throw new ModelFormatException(where + ": 'data_offsets' must be [begin, end], got " + offsetsNode);
        }
        long begin = offsetsNode.get(0).asLong();
        long end = offsetsNode.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new ModelFormatException(where + ": invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataSize) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data (" + dataSize + " bytes; file truncated or header corrupt)");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but " + dtype + " " + shapeNode + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, Iterable<TensorInfo> tensors) throws ModelFormatException {
        List<TensorInfo> sorted = new ArrayList<>();
        tensors.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo furthest = null; // the tensor reaching furthest so far: zero-size tensors must not hide overlaps
        for (TensorInfo current : sorted) {
            if (current.end() == current.begin()) {
                continue;
            }
            if (furthest != null && current.begin() < furthest.end()) {
                throw new ModelFormatException(path + ": tensors '" + furthest.name() + "' [" + furthest.begin()
                        + ", " + furthest.end() + ") and '" + current.name() + "' [" + current.begin() + ", "
                        + current.end() + ") overlap (header lies about offsets)");
            }
            if (furthest == null || current.end() > furthest.end()) {
                furthest = current;
            }
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** The header entry of a tensor, or empty when the file has no tensor of that name. */
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The {@code __metadata__} string map of the header (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads a floating-point tensor (F32, F16 or BF16) into a new row-major {@code float[]}.
     *
     * @throws ModelFormatException if the tensor is missing, of another dtype, or too large for one array
     */
    public float[] readFloats(String name) throws ModelFormatException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelFormatException(path + ": missing tensor '" + name + "'");
        }
        if (!info.dtype().isFloatingPointWeight()) {
            throw new ModelFormatException(path + ": tensor '" + name + "' has unsupported dtype " + info.dtype()
                    + " (bicross reads F32, F16 and BF16 weights; quantized checkpoints are not supported)");
        }
        long count = info.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(path + ": tensor '" + name + "' has " + count
                    + " elements, more than one Java array holds");
        }
        int n = (int) count;
        float[] out = new float[n];
        long offset = dataStart + info.begin();
        switch (info.dtype()) {
            case F32 -> MemorySegment.copy(file, F32_LE, offset, out, 0, n);
            case F16, BF16 -> {
                short[] raw = new short[n];
                MemorySegment.copy(file, I16_LE, offset, raw, 0, n);
                boolean bf16 = info.dtype() == DType.BF16;
                for (int i = 0; i < n; i++) {
                    out[i] = bf16 ? Float.intBitsToFloat((raw[i] & 0xffff) << 16) : Float.float16ToFloat(raw[i]);
                }
            }
            default -> throw new AssertionError(info.dtype());
        }
        return out;
    }

    /** SHA-256 of the whole file, hex encoded: a fingerprint of exactly these weights. */
    public String sha256() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        long size = file.byteSize();
        int chunk = 1 << 22;
        for (long pos = 0; pos < size; pos += chunk) {
            digest.update(file.asSlice(pos, Math.min(chunk, size - pos)).asByteBuffer());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Unmaps the file; reads after closing fail. */
    @Override
    public void close() {
        arena.close();
    }
}
