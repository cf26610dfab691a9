package dev.bicross.retrieval.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
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
     * Longest line read, in characters. A line is held whole while it is parsed, so an unbounded one (a 100 MB
     * document on one line) could exhaust the heap; this matches Jackson's own limit on one string value.
     */
    static final int MAX_LINE_CHARS = 20_000_000;

    /**
     * Calls {@code consumer} with each line's JSON object.
     *
     * @throws CorpusFormatException naming the file and line, for a line that is not a JSON object, a line longer
     *                               than {@link #MAX_LINE_CHARS}, a corrupt or truncated gzip stream, or an
     *                               {@link IllegalArgumentException} of the consumer
     * @throws IOException           if the file cannot be read
     */
    static void forEach(Path file, Consumer<JsonNode> consumer) throws IOException {
        BufferedReader opened;
        try {
            opened = open(file);
        } catch (ZipException | EOFException e) {
            throw new CorpusFormatException(file, 0, "not a gzip file (" + e.getMessage() + ")", e);
        }
        try (BufferedReader reader = opened) {
            BoundedLines lines = new BoundedLines(reader, MAX_LINE_CHARS);
            String line;
            long lineNumber = 0;
            while (true) {
                lineNumber++;
                try {
                    line = lines.next();
                } catch (LineTooLongException e) {
                    throw new CorpusFormatException(file, lineNumber, "line longer than " + MAX_LINE_CHARS
                            + " characters; a document this large is refused (split it into several documents)");
                } catch (ZipException | EOFException e) {
                    throw new CorpusFormatException(file, lineNumber, "corrupt or truncated gzip data ("
                            + e.getMessage() + ")", e);
                }
                if (line == null) {
                    break;
                }
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

    private static final class LineTooLongException extends IOException {
        LineTooLongException() {
            super("line too long");
        }
    }

    /** Lines ended by \n, \r or \r\n, as {@link BufferedReader#readLine}, refusing any longer than a limit. */
    private static final class BoundedLines {
        private final Reader reader;
        private final int maxChars;
        private final char[] buffer = new char[1 << 16];
        private int position;
        private int limit;
        private StringBuilder line = new StringBuilder();
        private boolean skipLineFeed;

        BoundedLines(Reader reader, int maxChars) {
            this.reader = reader;
            this.maxChars = maxChars;
        }

        /** The next line, or null at the end of input. */
        String next() throws IOException {
            line.setLength(0);
            boolean any = false;
            while (true) {
                if (position == limit) {
                    limit = reader.read(buffer, 0, buffer.length);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return any ? take() : null;
                    }
                }
                if (skipLineFeed) {
                    skipLineFeed = false;
                    if (buffer[position] == '\n') {
                        position++;
                        continue;
                    }
                }
                any = true;
                int start = position;
                while (position < limit && buffer[position] != '\n' && buffer[position] != '\r') {
                    position++;
                }
                if (line.length() + (position - start) > maxChars) {
                    throw new LineTooLongException();
                }
                line.append(buffer, start, position - start);
                if (position < limit) {
                    skipLineFeed = buffer[position] == '\r';
                    position++;
                    return take();
                }
            }
        }

        private String take() {
            String text = line.toString();
            if (line.capacity() > 1 << 20) {
                line = new StringBuilder(); // do not keep a huge line's buffer alive
            }
            return text;
        }
    }

    static BufferedReader open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        try {
            if (file.getFileName().toString().endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            }
        } catch (IOException e) {
            in.close(); // a bad gzip header: do not leak the file handle
            throw e;
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    /** The text of a field, "" when absent or null; numbers are accepted for ids. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }
}
