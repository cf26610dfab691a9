package dev.bicross.index;

import dev.bicross.index.kernel.DistanceKernels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The on-disk format (little-endian), version 1:
 * <pre>
 * magic    8 bytes  "BXINDEX" 0x1A
 * version  int      1
 * kind     int      0 = flat, 1 = HNSW
 * sections int      number of sections that follow
 * section: tag int, payload length long, CRC32C of the payload int, payload
 *   1 HEADER   model name, model fingerprint (int length + UTF-8 each), dimension int, metric name,
 *              node count int; HNSW only: M, efConstruction, efSearch int, seed long, entry node int, entry level int
 *   2 IDS      node count longs
 *   3 STATES   node count bytes (0 empty, 1 live, 2 deleted)
 *   4 VECTORS  node count × dimension floats
 *   5 LEVELS   node count bytes (HNSW)
 *   6 LEVEL0   node count × (2M+1) ints: count then neighbours (HNSW)
 *   7 UPPER    for each node with level L > 0, in node order: L × (M+1) ints (HNSW)
 * </pre>
 * Files are written to a temporary sibling, forced to disk and atomically renamed over the target.
 */
final class IndexFile {

    static final byte[] MAGIC = {'B', 'X', 'I', 'N', 'D', 'E', 'X', 0x1A};
    static final int VERSION = 1;
    private static final int KIND_FLAT = 0;
    private static final int KIND_HNSW = 1;
    private static final int HEADER = 1;
    private static final int IDS = 2;
    private static final int STATES = 3;
    private static final int VECTORS = 4;
    private static final int LEVELS = 5;
    private static final int LEVEL0 = 6;
    private static final int UPPER = 7;
    private static final String[] SECTION_NAMES = {"?", "HEADER", "IDS", "STATES", "VECTORS", "LEVELS", "LEVEL0", "UPPER"};
    private static final int PREAMBLE_BYTES = 8 + 4 + 4 + 4;
    private static final int SECTION_HEADER_BYTES = 4 + 8 + 4;
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final int MAX_LEVEL = 30;

    /** Test hook: when non-negative, writing fails after this many bytes, as a crash mid-save would. */
    static volatile long failAfterBytesForTest = -1;

    /** The HNSW part of a file. */
    record GraphSection(HnswIndex.Graph graph, int entryNode, int entryLevel, int m, int efConstruction,
                        int efSearch, long seed) {
    }

    /** Everything a file holds. {@code graph} is null for a flat index. */
    record Contents(IndexMetadata metadata, Metric metric, float[] vectors, long[] ids, byte[] states, int count,
                    HnswIndex.Graph graph, int m, int efConstruction, int efSearch, long seed, int entryNode,
                    int entryLevel) {
        VectorStore store(DistanceKernels kernels) {
            return new VectorStore(metadata.dimension(), metric, kernels, vectors, ids, states, count);
        }
    }

    private IndexFile() {
    }

    // ---------------------------------------------------------------- write

    /**
     * Writes atomically; the caller holds the store's write lock so nothing changes meanwhile. The temporary
     * sibling is named {@code <file>.<digits>.tmp}; a process killed mid-save leaves one behind, so each save
     * first deletes such leftovers of the same target that this JVM is not writing. (Two processes saving the
     * same file at once is not supported: one of them then fails with an IOException, the target stays whole.)
     */
    static void write(Path file, IndexMetadata metadata, VectorStore store, GraphSection hnsw) throws IOException {
        Path target = file.toAbsolutePath();
        Path directory = target.getParent();
        Files.createDirectories(directory);
        String name = target.getFileName().toString();
        Path temp = directory.resolve(name + "." + Long.toUnsignedString(TEMP_NAMES.nextLong()) + ".tmp");
        WRITING.add(temp);
        boolean done = false;
        try {
            deleteLeftovers(directory, name);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW)) {
                writeContents(new Output(channel), metadata, store, hnsw);
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(target + ": the file system cannot rename atomically; not saved", e);
            }
            done = true;
            forceDirectory(directory);
        } catch (NoSuchFileException e) {
            throw new IOException(target + ": the temporary file " + temp.getFileName()
                    + " vanished before the rename (is another process saving the same index?); not saved", e);
        } finally {
            WRITING.remove(temp);
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Temporary files this JVM is writing now; any other {@code <file>.<digits>.tmp} is a dead save's leftover. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();
    private static final SecureRandom TEMP_NAMES = new SecureRandom();

    private static void deleteLeftovers(Path directory, String name) throws IOException {
        String prefix = name + ".";
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(directory, p -> {
            String f = p.getFileName().toString();
            return f.length() > prefix.length() + 4 && f.startsWith(prefix) && f.endsWith(".tmp")
                    && f.substring(prefix.length(), f.length() - 4).chars().allMatch(c -> c >= '0' && c <= '9');
        })) {
            for (Path leftover : siblings) {
                if (!WRITING.contains(leftover)) {
                    Files.deleteIfExists(leftover);
                }
            }
        }
    }

    /** Makes the rename durable where the platform allows opening a directory (Linux); harmless elsewhere. */
    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not supported on this platform; the data itself is already forced.
        }
    }

    private static void writeContents(Output out, IndexMetadata metadata, VectorStore store, GraphSection hnsw)
            throws IOException {
        VectorStore.Rows rows = store.rows();
        int count = Math.min(store.nodeCount(), rows.capacity());
        int dimension = store.dimension;
        out.raw(MAGIC);
        out.rawInt(VERSION);
        out.rawInt(hnsw == null ? KIND_FLAT : KIND_HNSW);
        out.rawInt(hnsw == null ? 4 : 7);

        out.begin(HEADER);
        out.string(metadata.modelName());
        out.string(metadata.modelFingerprint());
        out.putInt(dimension);
        out.string(store.metric.name());
        out.putInt(count);
        if (hnsw != null) {
            out.putInt(hnsw.m());
            out.putInt(hnsw.efConstruction());
            out.putInt(hnsw.efSearch());
            out.putLong(hnsw.seed());
            out.putInt(hnsw.entryNode());
            out.putInt(hnsw.entryLevel());
        }
        out.end();

        out.begin(IDS);
        for (int i = 0; i < count; i++) {
            out.putLong(rows.ids()[i]);
        }
        out.end();

        out.begin(STATES);
        for (int i = 0; i < count; i++) {
            out.putByte(rows.state(i));
        }
        out.end();

        out.begin(VECTORS);
        out.putFloats(rows.vectors(), count * dimension);
        out.end();

        if (hnsw != null) {
            HnswIndex.Graph g = hnsw.graph();
            out.begin(LEVELS);
            for (int i = 0; i < count; i++) {
                out.putByte(g.levels()[i]);
            }
            out.end();
            out.begin(LEVEL0);
            out.putInts(g.level0(), 0, count * (2 * hnsw.m() + 1));
            out.end();
            out.begin(UPPER);
            for (int i = 0; i < count; i++) {
                if (g.levels()[i] > 0) {
                    out.putInts(g.upper()[i], 0, g.levels()[i] * (hnsw.m() + 1));
                }
            }
            out.end();
        }
        out.flush();
    }

    /** Buffered section writer: computes each payload's CRC as it streams, then patches the section header. */
    private static final class Output {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        private long position;
        private long sectionStart = -1;
        private int sectionTag;
        private long written;

        Output(FileChannel channel) {
            this.channel = channel;
        }

        void raw(byte[] bytes) throws IOException {
            room(bytes.length);
            buffer.put(bytes);
        }

        void rawInt(int v) throws IOException {
            room(4);
            buffer.putInt(v);
        }

        void begin(int tag) throws IOException {
            flush();
            sectionTag = tag;
            sectionStart = position;
            crc.reset();
            buffer.put(new byte[SECTION_HEADER_BYTES]); // patched by end()
            flushRaw();
        }

        void end() throws IOException {
            flush();
            long length = position - sectionStart - SECTION_HEADER_BYTES;
            ByteBuffer header = ByteBuffer.allocate(SECTION_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(sectionTag).putLong(length).putInt((int) crc.getValue()).flip();
            while (header.hasRemaining()) {
                channel.write(header, sectionStart + header.position());
            }
            sectionStart = -1;
        }

        void putByte(byte v) throws IOException {
            room(1);
            buffer.put(v);
        }

        void putInt(int v) throws IOException {
            room(4);
            buffer.putInt(v);
        }

        void putLong(long v) throws IOException {
            room(8);
            buffer.putLong(v);
        }

        void string(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            putInt(bytes.length);
            room(bytes.length);
            buffer.put(bytes);
        }

        void putFloats(float[] values, int length) throws IOException {
            for (int done = 0; done < length; ) {
                room(4);
                int n = Math.min(length - done, buffer.remaining() / 4);
                buffer.asFloatBuffer().put(values, done, n);
                buffer.position(buffer.position() + 4 * n);
                done += n;
            }
        }

        void putInts(int[] values, int offset, int length) throws IOException {
            for (int done = 0; done < length; ) {
                room(4);
                int n = Math.min(length - done, buffer.remaining() / 4);
                buffer.asIntBuffer().put(values, offset + done, n);
                buffer.position(buffer.position() + 4 * n);
                done += n;
            }
        }

        private void room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
        }

        /** Writes buffered payload bytes, adding them to the current section's CRC. */
        void flush() throws IOException {
            if (sectionStart >= 0) {
                crc.update(buffer.duplicate().flip());
            }
            flushRaw();
        }

        private void flushRaw() throws IOException {
            buffer.flip();
            long limit = failAfterBytesForTest;
            if (limit >= 0 && written + buffer.remaining() > limit) {
                throw new IOException("simulated crash after " + limit + " bytes");
            }
            while (buffer.hasRemaining()) {
                int n = channel.write(buffer, position);
                position += n;
                written += n;
            }
            buffer.clear();
        }
    }

    // ---------------------------------------------------------------- read

    static Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no index file here");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Input(file, channel).contents();
        }
    }

    /** Sequential reader that checks every length against the file size before allocating. */
    private static final class Input {
        private final Path file;
        private final FileChannel channel;
        private final long fileSize;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        private long position;
        private String section = "preamble";

        Input(Path file, FileChannel channel) throws IOException {
            this.file = file;
            this.channel = channel;
            this.fileSize = channel.size();
            buffer.limit(0);
        }

        private IndexFormatException bad(String problem) {
            return new IndexFormatException(file, problem);
        }

        Contents contents() throws IOException {
            if (fileSize < PREAMBLE_BYTES) {
                throw bad("truncated: " + fileSize + " bytes, shorter than the " + PREAMBLE_BYTES
                        + "-byte preamble of a bicross index");
            }
            byte[] magic = new byte[MAGIC.length];
            fill(MAGIC.length);
            buffer.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw bad("not a bicross index file (bad magic number)");
            }
            fill(12);
            int version = buffer.getInt();
            int kind = buffer.getInt();
            int sections = buffer.getInt();
            if (version != VERSION) {
                throw bad("format version " + version + " is not supported (this bicross reads version "
                        + VERSION + ")");
            }
            if (kind != KIND_FLAT && kind != KIND_HNSW) {
                throw bad("unknown index kind " + kind);
            }
            boolean hnsw = kind == KIND_HNSW;
            if (sections != (hnsw ? 7 : 4)) {
                throw bad("expected " + (hnsw ? 7 : 4) + " sections, header says " + sections);
            }

            long length = beginSection(HEADER, -1);
            if (length > MAX_HEADER_BYTES) {
                throw bad("HEADER section of " + length + " bytes is implausibly large");
            }
            fill((int) length);
            ByteBuffer header = buffer.slice(buffer.position(), (int) length).order(ByteOrder.LITTLE_ENDIAN);
            buffer.position(buffer.position() + (int) length);
            endSection();
            String modelName;
            String fingerprint;
            int dimension;
            Metric metric;
            int count;
            int m = 0;
            int efConstruction = 0;
            int efSearch = 0;
            long seed = 0;
            int entryNode = -1;
            int entryLevel = -1;
            try {
                modelName = string(header);
                fingerprint = string(header);
                dimension = header.getInt();
                String metricName = string(header);
                metric = Metric.valueOf(metricName);
                count = header.getInt();
                if (hnsw) {
                    m = header.getInt();
                    efConstruction = header.getInt();
                    efSearch = header.getInt();
                    seed = header.getLong();
                    entryNode = header.getInt();
                    entryLevel = header.getInt();
                }
            } catch (RuntimeException e) {
                throw bad("HEADER section is malformed (" + e + ")");
            }
            if (dimension <= 0 || count < 0 || (hnsw && (m < 2 || m > 512 || efConstruction < 1 || efSearch < 1
                    || efConstruction > HnswIndex.MAX_EF || efSearch > HnswIndex.MAX_EF))) {
                throw bad("HEADER has invalid values: dimension " + dimension + ", nodes " + count + ", M " + m
                        + ", efConstruction " + efConstruction + ", efSearch " + efSearch);
            }
            if (header.hasRemaining()) {
                throw bad("HEADER section has " + header.remaining() + " unexpected trailing bytes");
            }

            beginSection(IDS, 8L * count);
            long[] ids = new long[count];
            for (int i = 0; i < count; i++) {
                fill(8);
                ids[i] = buffer.getLong();
            }
            endSection();

            beginSection(STATES, count);
            byte[] states = readBytes(count);
            endSection();

            long floats = (long) count * dimension;
            if (floats > Integer.MAX_VALUE - 16) {
                throw bad(count + " vectors of dimension " + dimension + " exceed one vector block");
            }
            beginSection(VECTORS, 4 * floats);
            float[] vectors = new float[(int) floats];
            for (int done = 0; done < floats; ) {
                fill(4);
                int n = (int) Math.min(floats - done, buffer.remaining() / 4);
                buffer.asFloatBuffer().get(vectors, done, n);
                buffer.position(buffer.position() + 4 * n);
                done += n;
            }
            endSection();

            HnswIndex.Graph graph = null;
            if (hnsw) {
                beginSection(LEVELS, count);
                byte[] levels = readBytes(count);
                endSection();
                int stride0 = 2 * m + 1;
                beginSection(LEVEL0, 4L * count * stride0);
                int[] level0 = readInts((int) ((long) count * stride0));
                endSection();
                long upperInts = 0;
                for (int i = 0; i < count; i++) {
                    if (levels[i] < 0 || levels[i] > MAX_LEVEL) {
                        throw bad("LEVELS section: node " + i + " has level " + levels[i]);
                    }
                    upperInts += (long) levels[i] * (m + 1);
                }
                beginSection(UPPER, 4 * upperInts);
                int[][] upper = new int[count][];
                for (int i = 0; i < count; i++) {
                    if (levels[i] > 0) {
                        upper[i] = readInts(levels[i] * (m + 1));
                    }
                }
                endSection();
                graph = new HnswIndex.Graph(level0, new float[level0.length], levels, upper);
                checkGraph(graph, states, count, m, entryNode, entryLevel);
            }
            if (position != fileSize) {
                throw bad((fileSize - position) + " unexpected bytes after the last section");
            }
            checkIds(ids, states, count);
            return new Contents(new IndexMetadata(modelName, fingerprint, dimension), metric, vectors, ids, states,
                    count, graph, m, efConstruction, efSearch, seed, entryNode, entryLevel);
        }

        private void checkIds(long[] ids, byte[] states, int count) throws IndexFormatException {
            LongIntMap seen = new LongIntMap(count);
            for (int i = 0; i < count; i++) {
                if (states[i] < VectorStore.EMPTY || states[i] > VectorStore.DELETED) {
                    throw bad("STATES section: node " + i + " has unknown state " + states[i]);
                }
                if (states[i] == VectorStore.LIVE && seen.put(ids[i], i) >= 0) {
                    throw bad("IDS section: id " + ids[i] + " is live twice (nodes " + seen.get(ids[i]) + ", " + i + ")");
                }
            }
        }

        private void checkGraph(HnswIndex.Graph g, byte[] states, int count, int m, int entryNode, int entryLevel)
                throws IndexFormatException {
            if (count > 0 && entryNode >= 0) {
                if (entryNode >= count || g.levels()[entryNode] != entryLevel) {
                    throw bad("HEADER: entry point " + entryNode + " at level " + entryLevel
                            + " does not match the graph");
                }
            } else if (entryNode != -1) {
                throw bad("HEADER: entry point " + entryNode + (count == 0 ? " in an empty graph" : " (expected a node or -1)"));
            } else {
                for (int node = 0; node < count; node++) {
                    if (states[node] != VectorStore.EMPTY) {
                        throw bad("HEADER: no entry point, but node " + node + " is in the graph");
                    }
                }
            }
            int stride0 = 2 * m + 1;
            for (int node = 0; node < count; node++) {
                checkList(g.level0(), node * stride0, 2 * m, count, "LEVEL0", node, 0, g.levels());
                for (int level = 1; level <= g.levels()[node]; level++) {
                    checkList(g.upper()[node], (level - 1) * (m + 1), m, count, "UPPER", node, level, g.levels());
                }
            }
        }

        /** A node's links at one level: at most {@code max}, each to a node in range that reaches that level. */
        private void checkList(int[] list, int base, int max, int count, String name, int node, int level,
                               byte[] levels) throws IndexFormatException {
            int n = list[base];
            if (n < 0 || n > max) {
                throw bad(name + " section: node " + node + " has " + n + " links at level " + level + " (max " + max + ")");
            }
            for (int i = 1; i <= n; i++) {
                if (list[base + i] < 0 || list[base + i] >= count) {
                    throw bad(name + " section: node " + node + " links to node " + list[base + i]
                            + " at level " + level + ", outside [0, " + count + ")");
                }
                if (levels[list[base + i]] < level) {
                    throw bad(name + " section: node " + node + " links to node " + list[base + i] + " at level "
                            + level + ", but that node only reaches level " + levels[list[base + i]]);
                }
            }
        }

        private static String string(ByteBuffer b) {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalStateException("string length " + n);
            }
            byte[] bytes = new byte[n];
            b.get(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private long beginSection(int tag, long expectedLength) throws IOException {
            section = SECTION_NAMES[tag];
            if (fileSize - position < SECTION_HEADER_BYTES) {
                throw bad("truncated: the file ends at byte " + fileSize + " where section " + section
                        + " should begin");
            }
            readLimit = position + SECTION_HEADER_BYTES;
            fill(SECTION_HEADER_BYTES);
            int actualTag = buffer.getInt();
            long length = buffer.getLong();
            expectedCrc = buffer.getInt();
            if (actualTag != tag) {
                throw bad("expected section " + section + " (tag " + tag + ") but found tag " + actualTag);
            }
            if (length < 0 || (expectedLength >= 0 && length != expectedLength)) {
                throw bad("section " + section + " is " + length + " bytes, the header implies " + expectedLength);
            }
            if (length > fileSize - position) {
                throw bad("truncated: section " + section + " needs " + length + " bytes but only "
                        + (fileSize - position) + " remain");
            }
            crc.reset();
            readLimit = position + length;
            inPayload = true;
            return length;
        }

        private void endSection() throws IOException {
            if (buffer.hasRemaining() || position != readLimit) {
                throw bad("section " + section + " length does not match its contents");
            }
            inPayload = false;
            int actual = (int) crc.getValue();
            if (actual != expectedCrc) {
                throw bad(String.format("section %s checksum mismatch (stored %08x, computed %08x): the file is"
                        + " corrupted", section, expectedCrc, actual));
            }
        }

        private byte[] readBytes(int n) throws IOException {
            byte[] out = new byte[n];
            for (int done = 0; done < n; ) {
                fill(1);
                int k = Math.min(n - done, buffer.remaining());
                buffer.get(out, done, k);
                done += k;
            }
            return out;
        }

        private int[] readInts(int n) throws IOException {
            int[] out = new int[n];
            for (int done = 0; done < n; ) {
                fill(4);
                int k = Math.min(n - done, buffer.remaining() / 4);
                buffer.asIntBuffer().get(out, done, k);
                buffer.position(buffer.position() + 4 * k);
                done += k;
            }
            return out;
        }

        /**
         * Ensures {@code bytes} are buffered. Never reads past {@code readLimit} (the end of the current section
         * header or payload), so every byte read inside a payload belongs to that payload's CRC.
         */
        private void fill(int bytes) throws IOException {
            if (buffer.remaining() >= bytes) {
                return;
            }
            buffer.compact();
            while (buffer.position() < bytes) {
                int start = buffer.position();
                int room = (int) Math.min(buffer.capacity() - start, readLimit - position);
                if (room <= 0) {
                    throw bad("section " + section + " ends in the middle of a value");
                }
                buffer.limit(start + room);
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw bad("truncated: unexpected end of file in section " + section);
                }
                position += n;
                if (inPayload) {
                    crc.update(buffer.duplicate().position(start).limit(start + n));
                }
            }
            buffer.flip();
        }

        private int expectedCrc;
        private long readLimit = PREAMBLE_BYTES;
        private boolean inPayload;
    }
}
