package dev.bicross.retrieval.corpus;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target of {@link Corpora#readJsonl} (BEIR {@code corpus.jsonl}): the input as a plain file, the same bytes
 * gzip-compressed as {@code corpus.jsonl.gz} (which must read identically), and the raw input named {@code .gz} (a
 * corrupt gzip stream). Each gives documents with non-blank, unique ids, or a {@link CorpusFormatException} naming
 * the file; nothing else escapes.
 */
class CorpusFuzzTest extends BeirFilesFuzzTest {

    @FuzzTest
    @Timeout(10)
    void corpus(byte[] bytes) throws IOException {
        List<Document> plain = read(Files.write(dir.resolve("corpus.jsonl"), bytes));
        List<Document> gzipped = read(Files.write(dir.resolve("corpus.jsonl.gz"), gzip(bytes)));
        assertEquals(plain, gzipped, "the gzip-compressed file reads differently");
        read(Files.write(dir.resolve("raw.jsonl.gz"), bytes));
    }

    private static List<Document> read(Path file) throws IOException {
        List<Document> documents;
        try {
            documents = Corpora.readJsonl(file);
        } catch (CorpusFormatException e) {
            assertNamesFile(e, file);
            return null;
        }
        Set<String> ids = new HashSet<>();
        for (Document d : documents) {
            assertFalse(d.id().isBlank(), "blank document id");
            assertTrue(ids.add(d.id()), () -> "duplicate id " + d.id());
        }
        return documents;
    }
}
