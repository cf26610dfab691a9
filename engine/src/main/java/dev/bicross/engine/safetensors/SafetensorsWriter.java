package dev.bicross.engine.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (padded with
 * spaces to a multiple of 8 so that the data starts 8-byte aligned), then the tensors' little-endian bytes,
 * contiguous and in the order they were added. The header maps each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the start of the data) and may carry
 * a {@code "__metadata__"} map of strings.
 *
 * <p>Usage: add tensors (the arrays are referenced, not copied; do not modify them until {@link #write} returns),
 * then {@link #write(Path)}. The file is written to a temporary file in the same folder and renamed atomically,
 * so a reader never sees a half-written file under the final name. Not thread-safe.
 */
public final class SafetensorsWriter {

    /** Tensor element types this writer produces, named as in the safetensors header. */
    public enum Dtype {
        /** IEEE 754 binary32. */
        F32(4),
        /** IEEE 754 binary16. */
        F16(2),
        /** bfloat16: the upper 16 bits of a binary32. */
        BF16(2);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element. */
        public int byteSize() {
            return bytes;
        }
    }

    /** The header key reserved for the free-form string map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Same cap the reference implementation applies to headers (100 MB). */
    private static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();

    /** One tensor to write; exactly one of the arrays is set. */
    private record Entry(String name, Dtype dtype, long[] shape, float[] floats, short[] halfBits, byte[] raw) {
        long byteLength() {
            return elementCount(shape) * dtype.byteSize();
        }
    }

    /** Adds (or replaces) an entry in the header's {@code __metadata__} string map, e.g. {@code format=pt}. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "metadata key"), Objects.requireNonNull(value, "metadata value"));
        return this;
    }

    /** Adds a tensor stored as F32. {@code data} is row-major and holds exactly product(shape) values. */
    public SafetensorsWriter addF32(String name, long[] shape, float[] data) {
        return add(new Entry(checkName(name), Dtype.F32, checkShape(name, shape, data.length), data, null, null));
    }

    /**
     * Adds a tensor stored as {@code dtype} converted from {@code data}. F16 and BF16 round to nearest, ties to even
     * (F16 overflows to infinity; NaN stays NaN).
     */
    public SafetensorsWriter addFloats(String name, Dtype dtype, long[] shape, float[] data) {
        Objects.requireNonNull(dtype, "dtype");
        return add(new Entry(checkName(name), dtype, checkShape(name, shape, data.length), data, null, null));
    }

    /** Adds an F16 or BF16 tensor given its exact 16-bit patterns, for callers who need specific bits. */
    public SafetensorsWriter addHalfBits(String name, Dtype dtype, long[] shape, short[] bits) {
        if (dtype != Dtype.F16 && dtype != Dtype.BF16) {
            throw new IllegalArgumentException("tensor '" + name + "': 16-bit patterns need F16 or BF16, not " + dtype);
        }
        return add(new Entry(checkName(name), dtype, checkShape(name, shape, bits.length), null, bits, null));
    }

    /** Adds a tensor given its little-endian bytes as they go into the file (length = elements × dtype size). */
    public SafetensorsWriter addRaw(String name, Dtype dtype, long[] shape, byte[] littleEndianBytes) {
        Objects.requireNonNull(dtype, "dtype");
        long[] checked = checkShape(name, shape, -1);
        long expected = elementCount(checked) * dtype.byteSize();
        if (littleEndianBytes.length != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + littleEndianBytes.length + " bytes given, shape "
                    + Arrays.toString(checked) + " of " + dtype + " needs " + expected);
        }
        return add(new Entry(checkName(name), dtype, checked, null, null, littleEndianBytes));
    }

    /** Number of tensors added so far. */
    public int size() {
        return tensors.size();
    }

    /** Total bytes of tensor data added so far (excluding the header). */
    public long dataBytes() {
        long total = 0;
        for (Entry e : tensors.values()) {
            total += e.byteLength();
        }
        return total;
    }

    /**
     * Writes the file atomically (temp file in the same folder, fsync, rename over {@code file}) and returns its size
     * in bytes. On failure the temp file is removed and any existing {@code file} is left untouched.
     */
    public long write(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        byte[] header = headerBytes();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            long size;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : tensors.values()) {
                    writeData(ch, buf, e);
                }
                flush(ch, buf);
                ch.force(true);
                size = ch.size();
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return size;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** The header exactly as written after the 8-byte length: JSON padded with spaces to a multiple of 8. */
    byte[] headerBytes() {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Entry e : tensors.values()) {
            long end = offset + e.byteLength();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype().name());
            info.put("shape", e.shape());
            info.put("data_offsets", new long[] {offset, end});
            header.put(e.name(), info);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("safetensors header could not be serialised", e);
        }
        int padded = (json.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalStateException("safetensors header is " + padded + " bytes, over the " + MAX_HEADER_BYTES
                    + " byte limit readers enforce (" + tensors.size() + " tensors)");
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private SafetensorsWriter add(Entry entry) {
        if (tensors.putIfAbsent(entry.name(), entry) != null) {
            throw new IllegalArgumentException("tensor '" + entry.name() + "' was already added");
        }
        return this;
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if (name.equals(METADATA_KEY)) {
            throw new IllegalArgumentException("'" + METADATA_KEY + "' is reserved for metadata, not a tensor name");
        }
        return name;
    }

    /** Validates the shape and, when {@code length >= 0}, that it describes exactly {@code length} elements. */
    private static long[] checkShape(String name, long[] shape, int length) {
        Objects.requireNonNull(shape, "shape");
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long count = elementCount(shape);
        if (length >= 0 && count != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds " + count
                    + " elements but " + length + " values were given");
        }
        return shape.clone();
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void writeData(FileChannel ch, ByteBuffer buf, Entry e) throws IOException {
        if (e.raw() != null) {
            flush(ch, buf);
            writeFully(ch, ByteBuffer.wrap(e.raw()));
        } else if (e.halfBits() != null) {
            for (short s : e.halfBits()) {
                if (buf.remaining() < 2) {
                    flush(ch, buf);
                }
                buf.putShort(s);
            }
        } else {
            float[] f = e.floats();
            switch (e.dtype()) {
                case F32 -> {
                    for (int i = 0; i < f.length; ) {
                        if (buf.remaining() < 4) {
                            flush(ch, buf);
                        }
                        int n = Math.min(buf.remaining() / 4, f.length - i);
                        buf.asFloatBuffer().put(f, i, n);
                        buf.position(buf.position() + n * 4);
                        i += n;
                    }
                }
                case F16 -> {
                    for (float v : f) {
                        if (buf.remaining() < 2) {
                            flush(ch, buf);
                        }
                        buf.putShort(Float.floatToFloat16(v));
                    }
                }
                case BF16 -> {
                    for (float v : f) {
                        if (buf.remaining() < 2) {
                            flush(ch, buf);
                        }
                        buf.putShort(toBfloat16(v));
                    }
                }
            }
        }
    }

    /** Rounds a binary32 to bfloat16, nearest with ties to even; NaN stays a (quiet) NaN with its sign. */
    static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
