package dev.bicross.engine.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.engine.safetensors.SafetensorsWriter.Dtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the bytes on disk against the safetensors layout, decoded here independently of the writer:
 * u64 LE header length, JSON header, data section with no holes, 8-byte alignment.
 */
class SafetensorsWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A decoded file: the header JSON and the data section. */
    private record Decoded(long headerLength, String headerText, JsonNode header, ByteBuffer data) {
        ByteBuffer tensor(String name) {
            JsonNode offsets = header.get(name).get("data_offsets");
            int begin = offsets.get(0).asInt();
            int end = offsets.get(1).asInt();
            return data.slice(begin, end - begin).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static Decoded decode(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        String text = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.wrap(all, 8 + (int) n, all.length - 8 - (int) n).slice();
        return new Decoded(n, text, JSON.readTree(text), data);
    }

    @Test
    void writesLayoutOffsetsAndF32BytesInOrder() throws IOException {
        float[] a = {1f, -2.5f, 3.25f, Float.MIN_VALUE, Float.NaN, -0f};
        float[] b = {7f};
        float[] c = new float[0];
        Path file = dir.resolve("model.safetensors");
        long size = new SafetensorsWriter()
                .metadata("format", "pt")
                .addF32("layer.weight", new long[] {2, 3}, a)
                .addF32("layer.bias", new long[] {1}, b)
                .addF32("empty", new long[] {0, 4}, c)
                .write(file);

        Decoded d = decode(file);
        assertEquals(Files.size(file), size);
        assertEquals(0, d.headerLength() % 8, "header padded to 8 bytes");
        assertTrue(d.headerText().startsWith("{"), d.headerText());
        assertEquals(d.headerText().stripTrailing(), d.headerText().strip(), "padding is trailing spaces only");
        assertEquals("pt", d.header().get("__metadata__").get("format").asText());

        List<String> names = new ArrayList<>();
        for (Iterator<String> it = d.header().fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        assertEquals(List.of("__metadata__", "layer.weight", "layer.bias", "empty"), names);

        JsonNode w = d.header().get("layer.weight");
        assertEquals("F32", w.get("dtype").asText());
        assertEquals("[2,3]", w.get("shape").toString());
        assertEquals("[0,24]", w.get("data_offsets").toString());
        assertEquals("[24,28]", d.header().get("layer.bias").get("data_offsets").toString());
        assertEquals("[28,28]", d.header().get("empty").get("data_offsets").toString());
        assertEquals(28, d.data().remaining(), "data section has no holes and no trailing bytes");

        ByteBuffer wb = d.tensor("layer.weight");
        for (float v : a) {
            assertEquals(Float.floatToRawIntBits(v), wb.getInt(), "bit-exact F32");
        }
        assertEquals(7f, d.tensor("layer.bias").getFloat());
    }

    @Test
    void omitsMetadataWhenNoneAndHandlesScalars() throws IOException {
        Path file = dir.resolve("s.safetensors");
        new SafetensorsWriter().addF32("scalar", new long[0], new float[] {42f}).write(file);
        Decoded d = decode(file);
        assertFalse(d.header().has("__metadata__"));
        assertEquals("[]", d.header().get("scalar").get("shape").toString());
        assertEquals(42f, d.tensor("scalar").getFloat());
    }

    @Test
    void f16RoundsToNearestEvenWithKnownBitPatterns() throws IOException {
        // Expected binary16 patterns from the IEEE 754 definition, not from the writer.
        float[] values = {1f, -2f, 0.1f, 65504f, 65520f, 1e-8f, 6.0e-8f, Float.POSITIVE_INFINITY, 1f + 1f / 2048};
        short[] expected = {0x3C00, (short) 0xC000, 0x2E66, 0x7BFF, 0x7C00, 0x0000, 0x0001, 0x7C00, 0x3C00};
        Path file = dir.resolve("h.safetensors");
        new SafetensorsWriter().addFloats("h", Dtype.F16, new long[] {values.length}, values).write(file);
        Decoded d = decode(file);
        assertEquals("F16", d.header().get("h").get("dtype").asText());
        ByteBuffer t = d.tensor("h");
        for (int i = 0; i < values.length; i++) {
            assertEquals(expected[i], t.getShort(), "F16 of " + values[i]);
        }
    }

    @Test
    void bf16RoundsToNearestEvenWithKnownBitPatterns() throws IOException {
        float[] values = {
                1f,
                Float.intBitsToFloat(0x3F808000), // exactly halfway, even below: stays 0x3F80
                Float.intBitsToFloat(0x3F818000), // exactly halfway, odd below: rounds up to 0x3F82
                Float.intBitsToFloat(0x3F808001), // just above halfway: up
                (float) Math.PI,
                -0f,
                Float.MAX_VALUE, // rounds to infinity
        };
        short[] expected = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x4049, (short) 0x8000, 0x7F80};
        Path file = dir.resolve("b.safetensors");
        new SafetensorsWriter().addFloats("b", Dtype.BF16, new long[] {values.length}, values).write(file);
        ByteBuffer t = decode(file).tensor("b");
        for (int i = 0; i < values.length; i++) {
            assertEquals(expected[i], t.getShort(), "BF16 of " + values[i]);
        }
        short nan = SafetensorsWriter.toBfloat16(Float.NaN);
        assertTrue(Float.isNaN(Float.intBitsToFloat(nan << 16)), "NaN stays NaN");
    }

    @Test
    void mixedDtypesAndRawBitsAreContiguous() throws IOException {
        Random rnd = new Random(7);
        float[] f = new float[300_001]; // larger than the write buffer, odd count
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rnd.nextGaussian();
        }
        short[] half = {0x7E00, 0x0001, (short) 0xFBFF};
        byte[] raw = {1, 2, 3, 4, 5, 6};
        Path file = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .addHalfBits("half", Dtype.F16, new long[] {3}, half)
                .addF32("big", new long[] {f.length}, f)
                .addRaw("raw", Dtype.BF16, new long[] {3, 1}, raw)
                .write(file);
        Decoded d = decode(file);
        assertEquals("[0,6]", d.header().get("half").get("data_offsets").toString());
        assertEquals("[6," + (6 + 4L * f.length) + "]", d.header().get("big").get("data_offsets").toString());
        ByteBuffer h = d.tensor("half");
        for (short s : half) {
            assertEquals(s, h.getShort());
        }
        ByteBuffer big = d.tensor("big");
        for (float v : f) {
            assertEquals(Float.floatToRawIntBits(v), big.getInt());
        }
        byte[] rawBack = new byte[6];
        d.tensor("raw").get(rawBack);
        assertArrayEquals(raw, rawBack);
    }

    @Test
    void rejectsBadTensorsWithTheirName() {
        SafetensorsWriter w = new SafetensorsWriter().addF32("x", new long[] {2}, new float[2]);
        var dup = assertThrows(IllegalArgumentException.class, () -> w.addF32("x", new long[] {1}, new float[1]));
        assertTrue(dup.getMessage().contains("'x'"), dup.getMessage());
        var shape = assertThrows(IllegalArgumentException.class, () -> w.addF32("y", new long[] {2, 2}, new float[3]));
        assertTrue(shape.getMessage().contains("'y'") && shape.getMessage().contains("[2, 2]"), shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.addF32("__metadata__", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.addF32("neg", new long[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> w.addRaw("r", Dtype.F32, new long[] {2}, new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> w.addHalfBits("h", Dtype.F32, new long[] {1}, new short[1]));
    }

    @Test
    void escapesNamesAndMetadataInJson() throws IOException {
        Path file = dir.resolve("e.safetensors");
        new SafetensorsWriter().metadata("note", "quote \" and \\ and é")
                .addF32("a\"b", new long[] {1}, new float[] {1f}).write(file);
        Decoded d = decode(file);
        assertEquals("quote \" and \\ and é", d.header().get("__metadata__").get("note").asText());
        assertEquals(1f, d.tensor("a\"b").getFloat());
    }

    @Test
    void replacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter().addF32("old", new long[] {1}, new float[] {1f}).write(file);
        new SafetensorsWriter().addF32("new", new long[] {1}, new float[] {2f}).write(file);
        assertTrue(decode(file).header().has("new"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "only the final file remains");
        }
    }

    @Test
    void failedWriteKeepsThePreviousFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter().addF32("old", new long[] {1}, new float[] {1f}).write(file);
        byte[] before = Files.readAllBytes(file);
        float[] data = new float[4];
        SafetensorsWriter w = new SafetensorsWriter().addF32("t", new long[] {4}, data);
        // A directory standing where the target is makes the final rename fail after the data was written.
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("child"));
        assertThrows(IOException.class, () -> w.write(blocked));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temp file left behind: " + dir);
        }
    }
}
