package dev.bicross.retrieval.corpus;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared by the three BEIR reader fuzz targets: a scratch folder, and the one exception those readers may throw on
 * bad contents, {@link CorpusFormatException}, whose message starts with the file (and line) it is about.
 */
abstract class BeirFilesFuzzTest {

    static Path dir;

    @BeforeAll
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("bicross-fuzz-beir");
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

    static void assertNamesFile(CorpusFormatException e, Path file) {
        assertTrue(e.getMessage() != null && e.getMessage().startsWith(file + ":"),
                () -> "message does not name the file: " + e.getMessage());
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }
}
