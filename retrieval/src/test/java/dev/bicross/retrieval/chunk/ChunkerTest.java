package dev.bicross.retrieval.chunk;

import dev.bicross.tokenizer.BertTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkerTest {

    @TempDir
    static Path dir;
    static BertTokenizer tokenizer;

    /** A tiny uncased vocabulary: "w0".."w99" are whole words, "long" + "##er" splits in two pieces. */
    @BeforeAll
    static void vocabulary() throws IOException {
        String words = IntStream.range(0, 100).mapToObj(i -> "w" + i).collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("vocab.txt"),
                "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\nlong\n##er\n" + words + "\n");
        tokenizer = BertTokenizer.fromVocab(dir.resolve("vocab.txt"));
    }

    private static String words(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    @Test
    void shortTextIsOneChunkOfItself() {
        Chunker chunker = new Chunker(tokenizer, new ChunkingSettings(10, 2));
        String text = "  " + words(0, 10) + " ";
        assertEquals(List.of(new Chunk(0, text.length(), text, 10)), chunker.split(text));
        assertEquals(List.of(new Chunk(0, 0, "", 0)), chunker.split(""));
    }

    @Test
    void longTextIsCutIntoOverlappingWindowsOfExactSubstrings() {
        Chunker chunker = new Chunker(tokenizer, new ChunkingSettings(10, 3));
        String text = words(0, 24);
        List<Chunk> chunks = chunker.split(text);
        // windows of 10 words with stride 7: w0..w9, w7..w16, w14..w23
        assertEquals(List.of(words(0, 10), words(7, 17), words(14, 24)), chunks.stream().map(Chunk::text).toList());
        for (Chunk c : chunks) {
            assertEquals(text.substring(c.start(), c.end()), c.text());
            assertTrue(c.tokens() <= 10);
        }
    }

    @Test
    void windowsNeverStartOrEndInsideAWord() {
        Chunker chunker = new Chunker(tokenizer, new ChunkingSettings(8, 1));
        // "longer" is two pieces (long ##er); place it across the first window's boundary (pieces 7 and 8)
        String text = words(0, 7) + " longer " + words(7, 20);
        for (Chunk c : chunker.split(text)) {
            assertFalse(c.text().startsWith("er"), c.text());
            assertFalse(c.text().endsWith("long"), c.text());
        }
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkingSettings(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkingSettings(100, 80));
        assertEquals(new ChunkingSettings(254, 31), ChunkingSettings.forMaxSeqLength(256));
    }
}
