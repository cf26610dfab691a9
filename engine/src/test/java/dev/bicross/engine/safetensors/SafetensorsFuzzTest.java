package dev.bicross.engine.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bicross.engine.ModelFormatException;
import dev.bicross.engine.TinyBert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link SafetensorsFile#open}: the input bytes are written to a file and opened. A file either opens
 * with every tensor's range inside the data section and of the size its dtype and shape need (and every F32/F16/BF16
 * tensor reads into an array of exactly that many floats), or {@link ModelFormatException} names the file. Nothing
 * else escapes; nothing is allocated beyond the file's own size.
 *
 * <p>Mutations that grow or shrink the JSON header break its 8-byte length, so each input is also tried with the
 * length field corrected to end at the header's last {@code '}'}: that keeps the fuzzer inside the JSON checks
 * (offsets, overlaps, shapes, dtypes) instead of at the length check.
 */
class SafetensorsFuzzTest {

    private static Path dir;

    @BeforeAll
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("bicross-fuzz-safetensors");
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
    void safetensors(byte[] bytes) throws IOException {
        check(Files.write(dir.resolve("model.safetensors"), bytes));
        if (bytes.length > 8) {
            int close = lastIndexOf(bytes, (byte) '}', Math.min(bytes.length, 1 << 16));
            long claimed = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (close > 8 && claimed != close - 7) {
                byte[] repaired = bytes.clone();
                ByteBuffer.wrap(repaired, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(close - 7);
                check(Files.write(dir.resolve("repaired.safetensors"), repaired));
            }
        }
    }

    /** The real thing at test time: the tiny BERT the engine tests run, in F32 and BF16 (too big to commit as seeds). */
    @Test
    void tinyBertFilesPass() throws IOException {
        for (SafetensorsWriter.Dtype dtype : new SafetensorsWriter.Dtype[] {SafetensorsWriter.Dtype.F32,
                SafetensorsWriter.Dtype.BF16}) {
            Path model = TinyBert.small(7).write(dir.resolve("tiny-" + dtype), "", dtype);
            Path file = model.resolve("model.safetensors");
            check(file);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertTrue(f.names().contains("embeddings.word_embeddings.weight"));
            }
            Files.delete(file);
            Files.delete(model.resolve("config.json"));
            Files.delete(model);
        }
    }

    /** Memory stays bounded: a header length of 2^60 is refused from the 8 bytes, before anything is allocated. */
    @Test
    void headerClaiming2Pow60BytesIsRefusedBeforeAllocation() throws IOException {
        byte[] bytes = new byte[64];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 60);
        Path file = Files.write(dir.resolve("huge-header.safetensors"), bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("header length " + (1L << 60)), e.getMessage());
    }

    private static void check(Path file) throws IOException {
        long size = Files.size(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                TensorInfo info = f.info(name).orElseThrow();
                long bytes = info.end() - info.begin();
                assertTrue(info.begin() >= 0 && bytes >= 0 && info.end() <= size, () -> name + " range outside the file");
                assertEquals(info.elementCount() * info.dtype().bytes(), bytes, () -> name + " size does not match its shape");
                if (info.dtype().isFloatingPointWeight()) {
                    assertEquals(info.elementCount(), f.readFloats(name).length, name);
                } else {
                    ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.readFloats(name));
                    assertNamesFile(e, file);
                }
            }
            assertThrows(ModelFormatException.class, () -> f.readFloats("\u0000 no such tensor"));
            assertEquals(64, f.sha256().length());
        } catch (ModelFormatException e) {
            assertNamesFile(e, file);
        }
    }

    private static void assertNamesFile(ModelFormatException e, Path file) {
        assertTrue(e.getMessage() != null && e.getMessage().startsWith(file + ":"),
                () -> "message does not name the file: " + e.getMessage());
    }

    private static int lastIndexOf(byte[] bytes, byte value, int end) {
        for (int i = end - 1; i >= 0; i--) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
