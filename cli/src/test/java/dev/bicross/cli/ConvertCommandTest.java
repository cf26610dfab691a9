package dev.bicross.cli;

import dev.bicross.convert.DefaultModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvertCommandTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void convertsTheMiniLmJarAndPrintsASummary() throws IOException {
        Path jar;
        try {
            jar = DefaultModels.findBiEncoderJar();
        } catch (IOException e) {
            Assumptions.abort("MiniLM jar not available: " + e.getMessage());
            return;
        }
        Path out = tmp.resolve("minilm");
        Run r = run("convert", jar.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("101 in model.safetensors"), r.out());
        assertTrue(r.out().contains("6 layers, hidden 384, 12 heads"), r.out());
        assertTrue(r.err().contains("graph: 637 nodes"), r.err());
        assertTrue(DefaultModels.isComplete(out));
    }

    @Test
    void badInputIsOneClearLine() throws IOException {
        Path notOnnx = tmp.resolve("notes.onnx");
        Files.writeString(notOnnx, "this is not a model\n");
        Path out = tmp.resolve("out");
        Run r = run("convert", notOnnx.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("bicross: ") && first.contains("notes.onnx"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void missingModelFileIsNamed() {
        Run r = run("convert", tmp.resolve("absent.onnx").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("absent.onnx"), r.err());
    }
}
