package dev.bicross.index;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of the index file reader ({@link FlatIndex#load}, {@link HnswIndex#load}): the input is written to a
 * file and loaded as both kinds. Exactly one kind may load it, or both refuse with an {@link IndexFormatException}
 * naming the file; a loaded index must answer searches (every hit a distinct live id, at most k of them) without an
 * exception. Nothing else escapes, and nothing is allocated beyond what the file's size can back.
 *
 * <p>Every section carries a CRC, which random mutations almost always break; so each input is also tried with its
 * section checksums recomputed, which lets the fuzzer reach the structural checks behind them.
 */
class IndexFileFuzzTest {

    private static Path dir;

    @BeforeAll
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("bicross-fuzz-index");
    }

    @AfterAll
    static void deleteFolder() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @FuzzTest
    @Timeout(10)
    void indexFile(byte[] bytes) throws IOException {
        check(Files.write(dir.resolve("index.bxi"), bytes));
        byte[] fixed = withSectionChecksums(bytes);
        if (fixed != null) {
            check(Files.write(dir.resolve("fixed.bxi"), fixed));
        }
    }

    /** A freshly written index of each kind passes (the committed seeds are the same files, small). */
    @Test
    void writtenIndexesPass() throws IOException {
        float[][] vectors = SyntheticVectors.clustered(100, 8, 5, 0.5, 3);
        HnswIndex hnsw = HnswIndex.builder(8, Metric.COSINE).m(4).buildThreads(1).build();
        hnsw.addAll(SyntheticVectors.ids(vectors.length, 1), vectors);
        hnsw.delete(7);
        Path file = dir.resolve("written.bxi");
        hnsw.save(file);
        check(file);
        FlatIndex flat = FlatIndex.create(8, Metric.DOT_PRODUCT);
        flat.addAll(SyntheticVectors.ids(vectors.length, 1), vectors);
        flat.save(file);
        check(file);
    }

    /** Memory stays bounded: a header claiming 2^31 - 1 nodes in a small file is refused before arrays are sized. */
    @Test
    void headerClaimingTwoBillionNodesIsRefusedBeforeAllocation() throws IOException {
        FlatIndex flat = FlatIndex.create(2, Metric.EUCLIDEAN);
        flat.add(1, new float[] {1, 2});
        Path file = dir.resolve("huge-count.bxi");
        flat.save(file);
        byte[] bytes = Files.readAllBytes(file);
        // HEADER payload starts after the 20-byte preamble and the 16-byte section header:
        // "" model, "" fingerprint, dimension, "EUCLIDEAN", then the node count.
        int count = 20 + 16 + 4 + 4 + 4 + 4 + "EUCLIDEAN".length();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(count, Integer.MAX_VALUE);
        Files.write(file, withSectionChecksums(bytes));
        IndexFormatException e = org.junit.jupiter.api.Assertions.assertThrows(IndexFormatException.class,
                () -> FlatIndex.load(file));
        assertTrue(e.getMessage().contains("IDS"), e.getMessage());
    }

    private static void check(Path file) throws IOException {
        VectorIndex flat = loadOrNull(file, true);
        VectorIndex hnsw = loadOrNull(file, false);
        assertTrue(flat == null || hnsw == null, "one file loaded as both a flat and an HNSW index");
        for (VectorIndex index : new VectorIndex[] {flat, hnsw}) {
            if (index == null) {
                continue;
            }
            float[] query = new float[index.dimension()];
            java.util.Arrays.fill(query, 1f);
            for (int k : new int[] {1, 5}) {
                List<SearchHit> hits = index.search(query, k);
                assertTrue(hits.size() <= Math.min(k, index.size()), () -> hits.size() + " hits for k=" + k);
                Set<Long> ids = new HashSet<>();
                for (SearchHit hit : hits) {
                    assertTrue(ids.add(hit.id()), () -> "id " + hit.id() + " returned twice");
                    assertTrue(index.contains(hit.id()), () -> "hit " + hit.id() + " is not a live id");
                }
            }
        }
    }

    private static VectorIndex loadOrNull(Path file, boolean flat) throws IOException {
        try {
            return flat ? FlatIndex.load(file) : HnswIndex.load(file);
        } catch (IndexFormatException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(file + ": "),
                    () -> "message does not name the file: " + e.getMessage());
            assertEquals(file, e.file());
            return null;
        }
    }

    /** The input with every complete section's CRC32C recomputed, or null when nothing changed. */
    private static byte[] withSectionChecksums(byte[] bytes) {
        byte[] out = bytes.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int position = 20; // magic, version, kind, section count
        boolean changed = false;
        while (position + 16 <= out.length) {
            long length = b.getLong(position + 4);
            if (length < 0 || length > out.length - position - 16) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(out, position + 16, (int) length);
            if (b.getInt(position + 12) != (int) crc.getValue()) {
                b.putInt(position + 12, (int) crc.getValue());
                changed = true;
            }
            position += 16 + (int) length;
        }
        return changed ? out : null;
    }
}
