package dev.bicross.retrieval.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads JSON Lines files, gzip-compressed when the name ends in {@code .gz}; blank lines are skipped. */
final class JsonLines {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLines() {
    }

    /**
     * Calls {@code consumer} with each line's JSON object.
     *
     * @throws CorpusFormatException naming the file and line, for a line that is not a JSON object, a corrupt or
     *                               truncated gzip stream, or an {@link IllegalArgumentException} of the consumer
     * @throws IOException           if the file cannot be read
     */
    static void forEach(Path file, Consumer<JsonNode> consumer) throws IOException {
        BufferedReader opened;
        try {
            opened = open(file);
        } catch (ZipException | EOFException e) {
            throw new CorpusFormatException(file, 0, "not a gzip file (" + e.getMessage() + ")", e);
        }
        long lineNumber = 0;
        try (BufferedReader reader = opened) {
            String line;
            while ((line = readLine(reader, file, lineNumber + 1)) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new CorpusFormatException(file, lineNumber, "not valid JSON: " + e.getOriginalMessage(), e);
                }
                if (node == null || !node.isObject()) {
                    throw new CorpusFormatException(file, lineNumber, "expected a JSON object per line");
                }
                try {
                    consumer.accept(node);
                } catch (IllegalArgumentException e) {
                    throw new CorpusFormatException(file, lineNumber, e.getMessage(), e);
                }
            }
        }
    }

    /** The next line; a gzip stream that is corrupt or ends early is a {@link CorpusFormatException} at that line. */
    private static String readLine(BufferedReader reader, Path file, long lineNumber) throws IOException {
        try {
            return reader.readLine();
        } catch (ZipException | EOFException e) {
            throw new CorpusFormatException(file, lineNumber, "corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
    }

    static BufferedReader open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    /** The text of a field, "" when absent or null; numbers are accepted for ids. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }
}
