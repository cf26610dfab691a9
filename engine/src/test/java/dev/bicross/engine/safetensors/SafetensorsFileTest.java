package dev.bicross.engine.safetensors;

import dev.bicross.engine.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    /** A file from a header length, header text and data bytes, all as given (lies included). */
    private Path raw(long headerLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerLength).put(h);
        for (int i = 0; i < dataBytes; i++) {
            buf.put((byte) i);
        }
        Path file = tmp.resolve("bad.safetensors");
        Files.write(file, buf.array());
        return file;
    }

    private Path raw(String header, int dataBytes) throws IOException {
        return raw(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private static String refused(Path file) {
        var e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsWhatTheWriterWrote() throws IOException {
        float[] values = {1.5f, -2.25f, 3e-3f, 65504f, -0f, 7f};
        Path file = tmp.resolve("ok.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .addF32("a", new long[]{2, 3}, values)
                .addFloats("b", SafetensorsWriter.Dtype.F16, new long[]{6}, values)
                .addFloats("c", SafetensorsWriter.Dtype.BF16, new long[]{3, 2}, values)
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(java.util.List.of("a", "b", "c"), java.util.List.copyOf(st.names()));
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(new long[]{2, 3}, st.info("a").orElseThrow().shape());
            assertEquals(DType.F16, st.info("b").orElseThrow().dtype());
            assertArrayEquals(values, st.readFloats("a"));
            float[] f16 = st.readFloats("b");
            float[] bf16 = st.readFloats("c");
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16[i], "F16 element " + i);
                assertEquals(values[i], bf16[i], Math.abs(values[i]) / 128, "BF16 element " + i);
            }
            assertEquals(64, st.sha256().length());
        }
    }

    @Test
    void fileShorterThanTheLengthPrefixIsTruncated() throws IOException {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[]{1, 2, 3});
        assertTrue(refused(file).contains("truncated"));
    }

    @Test
    void headerLengthBeyondTheFileIsRefused() throws IOException {
        String message = refused(raw(5000, "{}", 0));
        assertTrue(message.contains("header length 5000"), message);
    }

    @Test
    void hugeHeaderLengthIsRefusedBeforeAllocating() throws IOException {
        String message = refused(raw(Long.MAX_VALUE, "{}", 0));
        assertTrue(message.contains("header length " + Long.MAX_VALUE), message);
        assertTrue(refused(raw(-8, "{}", 0)).contains("header length -8"));
    }

    @Test
    void headerThatIsNotJsonIsRefused() throws IOException {
        assertTrue(refused(raw("{\"a\": [", 0)).contains("not valid JSON"));
        assertTrue(refused(raw("[1, 2]", 0)).contains("expected a JSON object"));
    }

    @Test
    void offsetsPastTheEndOfTheDataAreRefused() throws IOException {
        String message = refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(message.contains("tensor 'w'") && message.contains("run past the end"), message);
    }

    @Test
    void sizeThatDisagreesWithDtypeAndShapeIsRefused() throws IOException {
        String message = refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16));
        assertTrue(message.contains("tensor 'w'") && message.contains("needs 12"), message);
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        String message = refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(message.contains("'a'") && message.contains("'b'") && message.contains("overlap"), message);
        // an empty tensor between them must not hide the overlap
        message = refused(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16));
        assertTrue(message.contains("'a'") && message.contains("'c'") && message.contains("overlap"), message);
    }

    @Test
    void shapeWhoseSizeOverflowsIsRefusedBeforeAllocating() throws IOException {
        String message = refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,8]}}", 8));
        assertTrue(message.contains("tensor 'w'") && message.contains("too large"), message);
    }

    @Test
    void unknownDtypeAndMalformedEntriesAreRefused() throws IOException {
        assertTrue(refused(raw("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2))
                .contains("unknown dtype 'Q4'"));
        assertTrue(refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0))
                .contains("invalid dimension -1"));
        assertTrue(refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4))
                .contains("'data_offsets' must be [begin, end]"));
        assertTrue(refused(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8))
                .contains("invalid data_offsets [8, 4]"));
    }

    @Test
    void integerTensorIsRefusedWhenReadAsWeights() throws IOException {
        Path file = raw("{\"q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            var e = assertThrows(ModelFormatException.class, () -> st.readFloats("q"));
            assertTrue(e.getMessage().contains("tensor 'q' has unsupported dtype I8"), e.getMessage());
            var missing = assertThrows(ModelFormatException.class, () -> st.readFloats("nope"));
            assertTrue(missing.getMessage().contains("missing tensor 'nope'"), missing.getMessage());
        }
    }

    @Test
    void truncatedCopyOfAValidFileIsRefused() throws IOException {
        Path file = tmp.resolve("whole.safetensors");
        float[] values = new float[100];
        Arrays.fill(values, 1f);
        new SafetensorsWriter().addF32("w", new long[]{100}, values).write(file);
        byte[] bytes = Files.readAllBytes(file);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        assertTrue(refused(cut).contains("run past the end"));
        Files.write(cut, Arrays.copyOf(bytes, 20));
        assertTrue(refused(cut).contains("header length"));
    }
}
