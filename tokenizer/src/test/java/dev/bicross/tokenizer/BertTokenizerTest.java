package dev.bicross.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** all-MiniLM-L6-v2's tokenizer.json: known ids, the file's own settings, the vocab.txt fallback, bad input, threads. */
class BertTokenizerTest {

    private static final BertTokenizer MINILM = HfReference.ours();

    @Test
    void helloWorldHasTheWellKnownBertUncasedIds() {
        Encoding e = MINILM.encode("Hello, world!", 128);
        assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, e.ids());
        assertEquals(List.of("[CLS]", "hello", ",", "world", "!", "[SEP]"), Arrays.asList(e.tokens()));
        assertArrayEquals(new int[][] {{0, 0}, {0, 5}, {5, 6}, {7, 12}, {12, 13}, {0, 0}}, e.offsets());
        assertEquals(30522, MINILM.vocabSize());
        assertEquals(101, MINILM.clsId());
        assertEquals(102, MINILM.sepId());
        assertEquals(0, MINILM.padId());
        assertEquals(100, MINILM.unkId());
    }

    @Test
    void readsEveryTokenizerJsonSection() {
        TokenizerConfig c = MINILM.config();
        assertEquals(new TokenizerConfig.Normalizer(true, true, null, true), c.normalizer());
        assertTrue(c.normalizer().stripsAccents(), "strip_accents null follows lowercase");
        assertEquals(new TokenizerConfig.TruncationConfig(128, Truncation.LONGEST_FIRST, 0,
                TokenizerConfig.Direction.RIGHT), c.truncation());
        assertEquals(128, c.padding().fixedLength());
        assertEquals("[PAD]", c.padding().padToken());
        assertEquals(5, c.addedTokens().size());
        assertEquals(3, c.postProcessor().addedTokens(true));
        assertEquals(2, c.postProcessor().addedTokens(false));
        assertEquals(100, c.model().maxInputCharsPerWord());
    }

    @Test
    void encodeWithoutLengthUsesTheFilesTruncation() {
        String text = "word ".repeat(300);
        Encoding e = MINILM.encode(text);
        assertEquals(128, e.length());
        assertTrue(e.truncated());
        assertEquals(102, e.ids()[127]);
        assertEquals(128, MINILM.encodePair(text, text).length());
    }

    @Test
    void vocabTxtFallbackGivesTheSameEncodings(@TempDir Path dir) throws IOException {
        String[] tokens = new String[MINILM.vocabSize()];
        for (int id = 0; id < tokens.length; id++) {
            tokens[id] = MINILM.token(id);
        }
        Files.write(dir.resolve("vocab.txt"), Arrays.asList(tokens));
        BertTokenizer fromVocab = BertTokenizer.load(dir);
        for (String text : AdversarialParityTest.readLines()) {
            Encoding expected = MINILM.encodePair(text, "Ünïcödé [SEP] ok", 64);
            Encoding actual = fromVocab.encodePair(text, "Ünïcödé [SEP] ok", 64);
            assertArrayEquals(expected.ids(), actual.ids(), text);
            assertArrayEquals(expected.typeIds(), actual.typeIds(), text);
            assertArrayEquals(expected.offsets(), actual.offsets(), text);
        }
    }

    @Test
    void vocabTxtFollowsTokenizerConfigJson(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("vocab.txt"), List.of("<s>", "</s>", "<unk>", "<pad>", "Héllo", "hello", "!"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false, \"unk_token\": \"<unk>\","
                + " \"cls_token\": {\"content\": \"<s>\"}, \"sep_token\": \"</s>\", \"pad_token\": \"<pad>\"}");
        BertTokenizer cased = BertTokenizer.load(dir);
        // cased: no lowercasing, and strip_accents (null) follows lowercase, so the accent stays
        assertEquals(List.of("<s>", "Héllo", "<unk>", "!", "</s>"),
                Arrays.asList(cased.encode("Héllo Hello!", 16).tokens()));
        assertEquals(3, cased.padId());
        assertEquals(0, cased.clsId());
        assertArrayEquals(new int[] {0, 5, 1, 3}, cased.encodeBatchPadded(List.of("hello", "hello hello"), 16).get(0).ids());
    }

    @Test
    void loadPrefersTokenizerJsonAndNamesWhatIsMissing(@TempDir Path dir) throws IOException {
        IOException none = assertThrows(IOException.class, () -> BertTokenizer.load(dir));
        assertTrue(none.getMessage().contains("neither tokenizer.json nor vocab.txt"), none.getMessage());
        Files.copy(HfReference.MINILM_JSON, dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("vocab.txt"), "[UNK]\n");
        assertEquals(30522, BertTokenizer.load(dir).vocabSize());
    }

    @Test
    void otherModelTypesAreRejectedByName() {
        for (String type : List.of("BPE", "Unigram", "WordLevel")) {
            String json = "{\"model\": {\"type\": \"" + type + "\", \"vocab\": {}}, \"normalizer\": null}";
            IOException e = assertThrows(IOException.class, () -> BertTokenizer.fromTokenizerJson(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "tokenizer.json"));
            assertEquals("tokenizer.json: unknown model type '" + type + "' (bicross supports WordPiece)",
                    e.getMessage());
        }
    }

    @Test
    void malformedJsonNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", ");
        IOException e = assertThrows(IOException.class, () -> BertTokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().startsWith(file + ": malformed JSON"), e.getMessage());
        Files.writeString(file, "[1, 2]");
        IOException notObject = assertThrows(IOException.class, () -> BertTokenizer.fromTokenizerJson(file));
        assertTrue(notObject.getMessage().startsWith(file.toString()), notObject.getMessage());
    }

    @Test
    void unsupportedPipelinePartsAreRejectedByName() {
        String json = "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0}},"
                + " \"normalizer\": {\"type\": \"NFKC\"}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}";
        IOException e = assertThrows(IOException.class, () -> BertTokenizer.fromTokenizerJson(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "x/tokenizer.json"));
        assertEquals("x/tokenizer.json: unsupported normalizer 'NFKC' (bicross supports BertNormalizer)",
                e.getMessage());
    }

    @Test
    void nullTextIsRejectedWithAMessage() {
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> MINILM.encode(null, 128));
        assertTrue(single.getMessage().contains("null"), single.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MINILM.encodePair("q", null, 128));
        assertThrows(IllegalArgumentException.class, () -> MINILM.encodePair(null, "d", 128));
    }

    @Test
    void aMegabyteOfTextTokenizes() {
        String words = "hello world ".repeat(90_000); // 1.08 M chars
        assertTrue(words.length() > 1 << 20);
        Encoding e = MINILM.encode(words, BertTokenizer.NO_TRUNCATION);
        assertEquals(words.split(" ").length + 2, e.length());
        assertArrayEquals(new int[] {words.length() - 6, words.length() - 1}, e.offsets()[e.length() - 2]);
        String oneWord = "x".repeat(1 << 20);
        Encoding unk = MINILM.encode(oneWord, BertTokenizer.NO_TRUNCATION);
        assertArrayEquals(new int[] {101, 100, 102}, unk.ids());
        assertArrayEquals(new int[] {0, 1 << 20}, unk.offsets()[1]);
        assertEquals(512, MINILM.encode("é中😀! ".repeat(200_000), 512).length());
    }

    @Test
    void threadsSharingOneTokenizerGetIdenticalResults() throws Exception {
        List<String> lines = AdversarialParityTest.readLines();
        List<String> expected = lines.stream().map(BertTokenizerTest::describe).toList();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int shift = t;
                results.add(pool.submit(() -> {
                    String[] out = new String[lines.size()];
                    for (int k = 0; k < lines.size(); k++) {
                        int i = (k + shift * 53) % lines.size(); // each thread in another order
                        out[i] = describe(lines.get(i));
                    }
                    return Arrays.asList(out);
                }));
            }
            for (Future<List<String>> r : results) {
                assertEquals(expected, r.get());
            }
        }
    }

    private static String describe(String text) {
        Encoding e = MINILM.encodePair(text, text + " tail", 96);
        return Arrays.toString(e.ids()) + Arrays.toString(e.typeIds())
                + Arrays.stream(e.offsets()).map(Arrays::toString).collect(Collectors.joining());
    }

    @Test
    void bertProcessingAndTemplateProcessingAreTheSame() throws IOException {
        String json = Files.readString(HfReference.MINILM_JSON);
        int start = json.indexOf("\"post_processor\"");
        int end = json.indexOf("\"decoder\"");
        String bert = json.substring(0, start)
                + "\"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 102], \"cls\": [\"[CLS]\", 101]},"
                + json.substring(end);
        BertTokenizer t = BertTokenizer.fromTokenizerJson(
                new ByteArrayInputStream(bert.getBytes(StandardCharsets.UTF_8)), "bert.json");
        Encoding a = t.encodePair("query here", "a document, with words", 128);
        Encoding b = MINILM.encodePair("query here", "a document, with words", 128);
        assertArrayEquals(b.ids(), a.ids());
        assertArrayEquals(b.typeIds(), a.typeIds());
    }
}
