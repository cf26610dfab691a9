package dev.bicross.retrieval.corpus;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorporaTest {

    @TempDir
    Path dir;

    @Test
    void readsABeirFolderWithGzippedCorpusAndKeepsOnlyJudgedQueries() throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("corpus.jsonl.gz")))) {
            out.write("""
                    {"_id": "1", "title": "Cats", "text": "The cat sits outside"}
                    {"_id": 2, "title": "", "text": "A man is playing guitar", "lang": "en"}
                    """.getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(dir.resolve("queries.jsonl"), """
                {"_id": "q1", "text": "music"}
                {"_id": "q2", "text": "unjudged"}
                """);
        Files.writeString(dir.resolve("qrels.tsv"), "query-id\tcorpus-id\tscore\nq1\t2\t1\nq1\t1\t0\n");

        TestCollection collection = TestCollection.load(dir);
        assertEquals(2, collection.documents().size());
        Document second = collection.documents().get(1);
        assertEquals("2", second.id());
        assertEquals("A man is playing guitar", second.fullText());
        assertEquals("en", second.metadata().get("lang"));
        assertEquals("Cats The cat sits outside", collection.documents().get(0).fullText());
        assertEquals(List.of(new Query("q1", "music")), collection.queries());
        assertEquals(1, collection.qrels().of("q1").get("2"));
        assertEquals(0, collection.qrels().of("q1").get("1"));
    }

    @Test
    void readsAFolderOfTextAndMarkdownFiles() throws IOException {
        Files.createDirectories(dir.resolve("notes"));
        Files.writeString(dir.resolve("a.txt"), "plain text");
        Files.writeString(dir.resolve("notes/b.md"), "intro\n# Heading B\nbody");
        Files.writeString(dir.resolve("ignored.bin"), "x");
        List<Document> docs = Corpora.load(dir);
        assertEquals(List.of("a.txt", "notes/b.md"), docs.stream().map(Document::id).toList());
        assertEquals("a", docs.get(0).title());
        assertEquals("Heading B", docs.get(1).title());
    }

    @Test
    void linesEndWithLfCrOrCrLfAndTheLastNeedsNoEnd() throws IOException {
        Path file = dir.resolve("mixed.jsonl");
        Files.writeString(file, "{\"_id\": \"a\", \"text\": \"x\"}\r\n\r\n{\"_id\": \"b\", \"text\": \"y\"}\r"
                + "{\"_id\": \"c\", \"text\": \"z\"}\n\n{\"_id\": \"d\", \"text\": \"w\"}");
        assertEquals(List.of("a", "b", "c", "d"), Corpora.readJsonl(file).stream().map(Document::id).toList());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"_id\": \"a\", \"text\": \"x\"}\r\n\r\nnot json\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(CorpusFormatException.class, () -> Corpora.readJsonl(bad));
        assertTrue(e.getMessage().contains("bad.jsonl:3: not valid JSON"), e.getMessage());
    }

    @Test
    void badLinesAreReportedWithFileAndLine() throws IOException {
        Path file = dir.resolve("docs.jsonl");
        Files.writeString(file, "{\"id\": \"1\", \"text\": \"ok\"}\n{not json\n");
        CorpusFormatException e = assertThrows(CorpusFormatException.class, () -> Corpora.load(file));
        assertTrue(e.getMessage().contains("docs.jsonl:2"), e.getMessage());

        Files.writeString(file, "{\"id\": \"1\"}\n{\"id\": \"1\"}\n");
        e = assertThrows(CorpusFormatException.class, () -> Corpora.load(file));
        assertTrue(e.getMessage().contains("duplicate document id '1'"), e.getMessage());

        Path qrels = dir.resolve("qrels.tsv");
        Files.writeString(qrels, "query-id\tcorpus-id\tscore\nq1\td1\thigh\n");
        e = assertThrows(CorpusFormatException.class, () -> Corpora.readQrels(qrels));
        assertTrue(e.getMessage().contains("qrels.tsv:2") && e.getMessage().contains("'high'"), e.getMessage());
    }

    @Test
    void readsEverySharedCollection() throws IOException {
        Path shared = Path.of(System.getProperty("bicross.shared", "../shared"), "data");
        Assumptions.assumeTrue(Files.isDirectory(shared), "skipped: " + shared + " is absent (shared test collections)");
        // counts from each collection's SOURCE.md
        record Expected(String name, int docs, int judgedQueries) { }
        for (Expected e : List.of(new Expected("cranfield", 1400, 225), new Expected("cisi", 1460, 76),
                new Expected("medline", 1033, 30), new Expected("cacm", 3204, 52),
                new Expected("vaswani-npl", 11429, 93), new Expected("adi", 82, 35))) {
            TestCollection c = TestCollection.load(shared.resolve(e.name()));
            assertEquals(e.docs(), c.documents().size(), e.name() + " documents");
            assertEquals(e.judgedQueries(), c.queries().size(), e.name() + " judged queries");
        }
    }
}
