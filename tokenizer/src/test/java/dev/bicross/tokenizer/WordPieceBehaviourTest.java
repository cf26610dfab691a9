package dev.bicross.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Known BERT behaviour on a tiny {@code vocab.txt}, with expected tokens and offsets worked out by hand from HF's
 * rules (BertNormalizer, BertPreTokenizer, greedy longest-match WordPiece, BERT template, truncation).
 */
class WordPieceBehaviourTest {

    /** Line number = id: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the pieces. */
    private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
            "un", "##aff", "##able", "aff", "able", "a", "##a", "play", "##ing", "##s", "!", ",", ".", "x", "##x",
            "i", "e", "##e");

    @TempDir
    static Path dir;
    private static BertTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        Files.write(dir.resolve("vocab.txt"), VOCAB);
        tokenizer = BertTokenizer.load(dir);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // text, expected pieces (without [CLS]/[SEP]), expected [start,end) offsets flattened
                Arguments.of("unaffable", "un ##aff ##able", new int[] {0, 2, 2, 5, 5, 9}),
                Arguments.of("playing plays", "play ##ing play ##s", new int[] {0, 4, 4, 7, 8, 12, 12, 13}),
                Arguments.of("UnAffABLE", "un ##aff ##able", new int[] {0, 2, 2, 5, 5, 9}),
                // an unmatched rest makes the WHOLE word [UNK], not just the rest
                Arguments.of("unaffz able", "[UNK] able", new int[] {0, 6, 7, 11}),
                Arguments.of("z", "[UNK]", new int[] {0, 1}),
                // accents stripped (strip_accents follows lowercase); precomposed: one char each
                Arguments.of("Ünäffáble", "un ##aff ##able", new int[] {0, 2, 2, 5, 5, 9}),
                // decomposed: the dropped mark still lies inside the token that surrounds it
                Arguments.of("U\u0308naffable", "un ##aff ##able", new int[] {0, 3, 3, 6, 6, 10}),
                // a trailing mark after the last char is dropped and not covered
                Arguments.of("e\u0301", "e", new int[] {0, 1}),
                // punctuation is isolated, ASCII and Unicode alike
                Arguments.of("un!aff", "un ! aff", new int[] {0, 2, 2, 3, 3, 6}),
                Arguments.of("un\u00bfaff", "un [UNK] aff", new int[] {0, 2, 2, 3, 3, 6}),
                Arguments.of("x,x.x", "x , x . x", new int[] {0, 1, 1, 2, 2, 3, 3, 4, 4, 5}),
                // CJK ideographs are words of their own
                Arguments.of("un\u4e2daff", "un [UNK] aff", new int[] {0, 2, 2, 3, 3, 6}),
                // clean_text drops NUL and format chars inside a word; offsets keep their original positions
                Arguments.of("un\u0000aff\u200bable", "un ##aff ##able", new int[] {0, 2, 3, 6, 7, 11}),
                // all Unicode white space splits: tab, newline, NBSP, ideographic space, em space
                Arguments.of("un\taff\nable\u00a0x\u3000x\u2003x", "un aff able x x x",
                        new int[] {0, 2, 3, 6, 7, 11, 12, 13, 14, 15, 16, 17}),
                // offsets are UTF-16 units: the emoji spans two chars
                Arguments.of("\ud83d\ude00 un", "[UNK] un", new int[] {0, 2, 3, 5}),
                // special tokens written in the text are matched before normalization
                Arguments.of("un[SEP]aff", "un [SEP] aff", new int[] {0, 2, 2, 7, 7, 10}),
                Arguments.of("[sep]", "[UNK] [UNK] [UNK]", new int[] {0, 1, 1, 4, 4, 5}),
                // empty and white-space-only texts have no pieces
                Arguments.of("", "", new int[0]),
                Arguments.of(" \t\n\u00a0", "", new int[0]),
                Arguments.of("\u200b\u0000", "", new int[0]));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("cases")
    void singleText(String text, String pieces, int[] offsets) {
        Encoding e = tokenizer.encode(text, BertTokenizer.NO_TRUNCATION);
        String[] expected = pieces.isEmpty() ? new String[0] : pieces.split(" ");
        String[] tokens = Arrays.copyOfRange(e.tokens(), 1, e.length() - 1);
        assertArrayEquals(expected, tokens, () -> "tokens " + Arrays.toString(e.tokens()));
        assertEquals("[CLS]", e.tokens()[0]);
        assertEquals("[SEP]", e.tokens()[e.length() - 1]);
        int[] flat = new int[2 * tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            flat[2 * i] = e.offsets()[i + 1][0];
            flat[2 * i + 1] = e.offsets()[i + 1][1];
            assertEquals(VOCAB.indexOf(tokens[i]), e.ids()[i + 1]);
        }
        assertArrayEquals(offsets, flat, () -> "offsets " + Arrays.deepToString(e.offsets()));
        assertArrayEquals(new int[] {0, 0}, e.offsets()[0]);
        assertArrayEquals(new int[] {0, 0}, e.offsets()[e.length() - 1]);
        assertTrue(Arrays.stream(e.attentionMask()).allMatch(m -> m == 1));
        assertTrue(Arrays.stream(e.typeIds()).allMatch(t -> t == 0));
        assertFalse(e.truncated());
    }

    @Test
    void wordsLongerThanMaxInputCharsPerWordAreUnknown() {
        BertTokenizer t = BertTokenizer.fromConfig(withMaxChars(5));
        assertEquals(List.of("a", "##a", "##a", "##a", "##a"), pieces(t.encode("aaaaa", 64)));
        assertEquals(List.of("[UNK]"), pieces(t.encode("aaaaaa", 64)));
        // counted in code points, not UTF-16 units: five emoji are five chars
        assertEquals(List.of("[UNK]"), pieces(t.encode("\ud83d\ude00".repeat(5), 64)));
        assertArrayEquals(new int[] {0, 10}, t.encode("\ud83d\ude00".repeat(5), 64).offsets()[1]);
        // the default limit is 100
        assertEquals(100, pieces(tokenizer.encode("a".repeat(100), 512)).size());
        assertEquals(List.of("[UNK]"), pieces(tokenizer.encode("a".repeat(101), 512)));
    }

    @Test
    void pairHasTypeIdsZeroThenOne() {
        Encoding e = tokenizer.encodePair("un", "aff able", 64);
        assertEquals(List.of("[CLS]", "un", "[SEP]", "aff", "able", "[SEP]"), Arrays.asList(e.tokens()));
        assertArrayEquals(new int[] {2, 5, 3, 8, 9, 3}, e.ids());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, e.typeIds());
        assertArrayEquals(new int[][] {{0, 0}, {0, 2}, {0, 0}, {0, 3}, {4, 8}, {0, 0}}, e.offsets());
    }

    @Test
    void truncationCountsSpecialTokens() {
        Encoding e = tokenizer.encode("x x x x x x", 5);
        assertEquals(List.of("[CLS]", "x", "x", "x", "[SEP]"), Arrays.asList(e.tokens()));
        assertTrue(e.truncated());
        assertFalse(tokenizer.encode("x x x", 5).truncated());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("x", 1));
    }

    @Test
    void longestFirstLetsTheShortTextKeepAllWhenTheLongOneCanStillHaveAsMuch() {
        // 10 + 2 pieces, room for 6: the short one keeps 2, the long one gets the remaining 4
        Encoding e = tokenizer.encodePair("x x x x x x x x x x", "i e", 9);
        assertEquals(List.of("[CLS]", "x", "x", "x", "x", "[SEP]", "i", "e", "[SEP]"), Arrays.asList(e.tokens()));
        // 5 + 5, room for 7: halves, the odd position to the second when they are equally long
        Encoding half = tokenizer.encodePair("x x x x x", "i i i i i", 10);
        assertEquals(List.of("[CLS]", "x", "x", "x", "[SEP]", "i", "i", "i", "i", "[SEP]"),
                Arrays.asList(half.tokens()));
        // 6 + 4, room for 5: halves again, the odd position to the longer (first) one
        Encoding longer = tokenizer.encodePair("x x x x x x", "i i i i", 8);
        assertEquals(List.of("[CLS]", "x", "x", "x", "[SEP]", "i", "i", "[SEP]"), Arrays.asList(longer.tokens()));
    }

    @Test
    void onlyFirstAndOnlySecondCutOneSideOrRefuse() {
        Encoding second = tokenizer.encodePair("i e", "x x x x x x x x x x", 9, Truncation.ONLY_SECOND);
        assertEquals(List.of("[CLS]", "i", "e", "[SEP]", "x", "x", "x", "x", "[SEP]"), Arrays.asList(second.tokens()));
        Encoding first = tokenizer.encodePair("x x x x x x x x x x", "i e", 9, Truncation.ONLY_FIRST);
        assertEquals(List.of("[CLS]", "x", "x", "x", "x", "[SEP]", "i", "e", "[SEP]"), Arrays.asList(first.tokens()));
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encodePair("i e", "x x x x x x x x x x", 9, Truncation.ONLY_FIRST));
        assertTrue(tooShort.getMessage().contains("only_first"), tooShort.getMessage());
    }

    @Test
    void batchesArePaddedToTheLongest() {
        PaddedBatch batch = tokenizer.encodeBatchPadded(List.of("un", "unaffable x", ""), 64);
        assertEquals(6, batch.sequenceLength());
        Encoding first = batch.get(0);
        assertArrayEquals(new int[] {2, 5, 3, 0, 0, 0}, first.ids());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0}, first.attentionMask());
        assertEquals("[PAD]", first.tokens()[5]);
        assertArrayEquals(new int[] {0, 0}, first.offsets()[5]);
        assertArrayEquals(new int[] {2, 5, 6, 7, 18, 3}, batch.get(1).ids());
        assertArrayEquals(new int[] {2, 3, 0, 0, 0, 0}, batch.get(2).ids());
    }

    @Test
    void vocabularyLookups() {
        assertEquals(VOCAB.size(), tokenizer.vocabSize());
        assertEquals(2, tokenizer.clsId());
        assertEquals(3, tokenizer.sepId());
        assertEquals(0, tokenizer.padId());
        assertEquals(1, tokenizer.unkId());
        assertEquals(6, tokenizer.tokenId("##aff"));
        assertEquals(-1, tokenizer.tokenId("nope"));
        assertEquals("##able", tokenizer.token(7));
    }

    private static List<String> pieces(Encoding e) {
        return Arrays.asList(e.tokens()).subList(1, e.length() - 1);
    }

    private static TokenizerConfig withMaxChars(int maxChars) {
        TokenizerConfig base = tokenizer.config();
        TokenizerConfig.WordPieceModel m = base.model();
        return new TokenizerConfig(base.normalizer(),
                new TokenizerConfig.WordPieceModel(m.vocab(), m.unkToken(), m.continuingSubwordPrefix(), maxChars),
                base.postProcessor(), base.truncation(), base.padding(), base.addedTokens());
    }
}
