package dev.bicross.index;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexFileTest {

    private static final IndexMetadata MODEL = new IndexMetadata("test/mini-model", "sha256:abc123", 24);

    @TempDir
    Path dir;

    private static float[][] vectors;
    private static float[][] queries;
    private static HnswIndex index;

    @BeforeAll
    static void build() {
        vectors = SyntheticVectors.clustered(1500, 24, 10, 0.5, 21);
        queries = SyntheticVectors.clustered(30, 24, 10, 0.5, 22);
        index = HnswIndex.builder(MODEL, Metric.COSINE).m(8).efConstruction(64).build();
        index.addAll(SyntheticVectors.ids(vectors.length, 500), vectors);
        for (long id = 500; id < 2000; id += 13) {
            index.delete(id); // tombstones must survive the round trip too
        }
    }

    @Test
    void hnswRoundTripGivesBitIdenticalResults() throws IOException {
        Path file = dir.resolve("corpus.bxi");
        index.save(file);
        HnswIndex loaded = HnswIndex.load(file);
        assertEquals(index.size(), loaded.size());
        assertEquals(MODEL, loaded.metadata());
        assertEquals(index.m(), loaded.m());
        assertEquals(index.efConstruction(), loaded.efConstruction());
        assertEquals(index.seed(), loaded.seed());
        for (float[] q : queries) {
            // SearchHit equality compares float scores by bits (record equals uses Float.compare).
            assertEquals(index.search(q, 10, 40), loaded.search(q, 10, 40));
            assertEquals(index.search(q, 5, 40, id -> id % 3 == 0), loaded.search(q, 5, 40, id -> id % 3 == 0));
        }
        // Saving the loaded index reproduces the file byte for byte.
        Path again = dir.resolve("again.bxi");
        loaded.save(again);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
        // And the loaded index keeps working: adds after load are searchable.
        loaded.add(99_999, vectors[0]);
        assertTrue(loaded.search(vectors[0], 2, 40).stream().anyMatch(h -> h.id() == 99_999));
    }

    @Test
    void flatRoundTrip() throws IOException {
        FlatIndex flat = FlatIndex.create(MODEL, Metric.EUCLIDEAN);
        flat.addAll(SyntheticVectors.ids(200, 0), Arrays.copyOf(vectors, 200));
        flat.delete(7);
        Path file = dir.resolve("flat.bxi");
        flat.save(file);
        FlatIndex loaded = FlatIndex.load(file);
        for (float[] q : queries) {
            assertEquals(flat.search(q, 10), loaded.search(q, 10));
        }
        IndexFormatException e = assertThrows(IndexFormatException.class, () -> HnswIndex.load(file));
        assertTrue(e.getMessage().contains("flat index"), e.getMessage());
    }

    @Test
    void modelMismatchIsRefusedWithReindexAdvice() throws IOException {
        Path file = dir.resolve("model.bxi");
        index.save(file);
        HnswIndex.load(file, "test/mini-model", "sha256:abc123"); // the same model is fine
        ModelMismatchException e = assertThrows(ModelMismatchException.class,
                () -> HnswIndex.load(file, "test/mini-model", "sha256:def456"));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("re-index"), e.getMessage());
        assertTrue(e.getMessage().contains("sha256:def456"), e.getMessage());
        assertThrows(ModelMismatchException.class, () -> index.checkModel("other/model", "sha256:abc123"));
    }

    @Test
    void everyTruncationIsRejectedNamingTheFile() throws IOException {
        Path file = dir.resolve("whole.bxi");
        index.save(file);
        byte[] bytes = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.bxi");
        // Cut inside the preamble, inside each section header and payload, and one byte short.
        int[] lengths = {0, 5, 19, 21, 40, 100, 1000, bytes.length / 3, bytes.length / 2, bytes.length - 100,
                bytes.length - 1};
        for (int length : lengths) {
            Files.write(cut, Arrays.copyOf(bytes, length));
            IndexFormatException e = assertThrows(IndexFormatException.class, () -> HnswIndex.load(cut),
                    "length " + length);
            assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("implies"),
                    "length " + length + ": " + e.getMessage());
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        Files.write(cut, longer);
        assertTrue(assertThrows(IndexFormatException.class, () -> HnswIndex.load(cut)).getMessage()
                .contains("unexpected bytes"));
    }

    @Test
    void corruptionInEverySectionIsDetected() throws IOException {
        Path file = dir.resolve("whole.bxi");
        index.save(file);
        byte[] bytes = Files.readAllBytes(file);
        Path bad = dir.resolve("bad.bxi");
        // Walk the sections and flip one byte in the middle of each payload.
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int position = 20;
        for (int section = 0; section < 7; section++) {
            int tag = b.getInt(position);
            long length = b.getLong(position + 4);
            int payload = position + 16;
            if (length > 0) {
                byte[] corrupted = bytes.clone();
                corrupted[(int) (payload + length / 2)] ^= 0x40;
                Files.write(bad, corrupted);
                IndexFormatException e = assertThrows(IndexFormatException.class, () -> HnswIndex.load(bad),
                        "section tag " + tag);
                assertTrue(e.getMessage().contains("checksum mismatch") || e.getMessage().contains("HEADER"),
                        e.getMessage());
            }
            position = (int) (payload + length);
        }
        assertEquals(bytes.length, position);

        byte[] wrongMagic = bytes.clone();
        wrongMagic[0] = 'X';
        Files.write(bad, wrongMagic);
        assertTrue(assertThrows(IndexFormatException.class, () -> HnswIndex.load(bad)).getMessage()
                .contains("not a bicross index"));
        byte[] futureVersion = bytes.clone();
        futureVersion[8] = 9;
        Files.write(bad, futureVersion);
        assertTrue(assertThrows(IndexFormatException.class, () -> HnswIndex.load(bad)).getMessage()
                .contains("version 9"));
    }

    @Test
    void crashDuringSaveLeavesThePreviousFileIntact() throws IOException {
        Path file = dir.resolve("index.bxi");
        HnswIndex small = HnswIndex.builder(24, Metric.COSINE).m(8).efConstruction(32).build();
        small.addAll(SyntheticVectors.ids(100, 0), Arrays.copyOf(vectors, 100));
        small.save(file);
        byte[] before = Files.readAllBytes(file);
        small.addAll(SyntheticVectors.ids(100, 1000), Arrays.copyOfRange(vectors, 100, 200));
        IndexFile.failAfterBytesForTest = before.length / 2;
        try {
            assertThrows(IOException.class, () -> small.save(file));
        } finally {
            IndexFile.failAfterBytesForTest = -1;
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary file left behind");
        }
        assertEquals(100, HnswIndex.load(file).size());
        small.save(file);
        assertEquals(200, HnswIndex.load(file).size());
    }

    @Test
    void missingFileIsReported() {
        Path nowhere = dir.resolve("absent.bxi");
        IOException e = assertThrows(IOException.class, () -> HnswIndex.load(nowhere));
        assertTrue(e.getMessage().contains("absent.bxi"), e.getMessage());
    }
}
