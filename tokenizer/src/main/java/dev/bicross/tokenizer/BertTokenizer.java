package dev.bicross.tokenizer;

import dev.bicross.tokenizer.TokenizerConfig.AddedToken;
import dev.bicross.tokenizer.TokenizerConfig.Direction;
import dev.bicross.tokenizer.TokenizerConfig.PaddingConfig;
import dev.bicross.tokenizer.TokenizerConfig.Piece;
import dev.bicross.tokenizer.TokenizerConfig.Sequence;
import dev.bicross.tokenizer.TokenizerConfig.Special;
import dev.bicross.tokenizer.TokenizerConfig.Template;
import dev.bicross.tokenizer.TokenizerConfig.TruncationConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT WordPiece tokenizer, exact against Hugging Face tokenizers: same ids, type ids and offsets for the
 * {@code BertNormalizer} + {@code BertPreTokenizer} + {@code WordPiece} + BERT template pipeline of a
 * {@code tokenizer.json}. Immutable and thread-safe: one instance can serve any number of threads.
 *
 * <p>Pipeline per text: added/special tokens written literally in the text (e.g. {@code [SEP]}) are split out
 * first, as HF does; the rest is normalized and split into words char by char through precomputed tables
 * ({@link BertNormalizer}); every word goes through greedy longest-match WordPiece on a trie
 * ({@link WordPieceTrie}); then truncation, the post-processing template and, for batches, padding.
 */
public final class BertTokenizer {

    /** {@code maxLength} value meaning "do not truncate". */
    public static final int NO_TRUNCATION = Integer.MAX_VALUE;

    private final TokenizerConfig config;
    private final BertNormalizer normalizer;
    private final WordPieceTrie trie;
    private final String[] tokensById;
    private final Map<String, Integer> idsByToken;
    private final int unkId;
    private final int maxInputCharsPerWord;
    private final Template template;
    /** Added tokens, longest first, so that the first that matches at a position is the longest. */
    private final AddedToken[] addedTokens;
    /** Whether some added token starts with the char; {@code null} when there are no added tokens. */
    private final boolean[] addedTokenStarts;
    private final int clsId;
    private final int sepId;
    private final int padId;

    private BertTokenizer(TokenizerConfig config) {
        this.config = config;
        this.normalizer = BertNormalizer.of(config.normalizer());
        this.trie = new WordPieceTrie(config.model().vocab(), config.model().continuingSubwordPrefix());
        this.idsByToken = new HashMap<>(config.model().vocab());
        for (AddedToken t : config.addedTokens()) {
            idsByToken.putIfAbsent(t.content(), t.id());
        }
        int maxId = idsByToken.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.tokensById = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : config.model().vocab().entrySet()) {
            tokensById[e.getValue()] = e.getKey();
        }
        for (AddedToken t : config.addedTokens()) {
            tokensById[t.id()] = t.content();
        }
        this.unkId = config.model().vocab().get(config.model().unkToken());
        this.maxInputCharsPerWord = config.model().maxInputCharsPerWord();
        this.template = config.postProcessor();
        this.addedTokens = config.addedTokens().stream().filter(t -> !t.content().isEmpty())
                .sorted(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed())
                .toArray(AddedToken[]::new);
        if (addedTokens.length == 0) {
            this.addedTokenStarts = null;
        } else {
            this.addedTokenStarts = new boolean[65536];
            for (AddedToken t : addedTokens) {
                addedTokenStarts[t.content().charAt(0)] = true;
            }
        }
        List<Special> specials = template.pair().stream().filter(p -> p instanceof Special).map(p -> (Special) p)
                .toList();
        this.clsId = specials.isEmpty() ? idOr("[CLS]", -1) : specials.getFirst().ids()[0];
        this.sepId = specials.isEmpty() ? idOr("[SEP]", -1) : specials.getLast().ids()[0];
        this.padId = config.padding() != null ? config.padding().padId() : idOr("[PAD]", 0);
    }

    /**
     * Loads {@code tokenizer.json} from a model folder, or {@code vocab.txt} with BERT defaults when absent.
     * A path to a {@code .json} or {@code .txt} file is read directly.
     */
    public static BertTokenizer load(Path modelDir) throws IOException {
        if (Files.isRegularFile(modelDir)) {
            return modelDir.getFileName().toString().endsWith(".txt") ? fromVocab(modelDir)
                    : fromTokenizerJson(modelDir);
        }
        if (!Files.isDirectory(modelDir)) {
            throw new IOException(modelDir + ": no such model folder");
        }
        Path json = modelDir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            return fromTokenizerJson(json);
        }
        Path vocab = modelDir.resolve("vocab.txt");
        if (Files.isRegularFile(vocab)) {
            return fromVocab(vocab);
        }
        throw new IOException(modelDir + ": has neither tokenizer.json nor vocab.txt");
    }

    /** Reads a Hugging Face {@code tokenizer.json}. */
    public static BertTokenizer fromTokenizerJson(Path file) throws IOException {
        return new BertTokenizer(TokenizerJsonReader.read(file));
    }

    /** Reads a Hugging Face {@code tokenizer.json} from a stream; {@code source} names it in error messages. */
    public static BertTokenizer fromTokenizerJson(InputStream in, String source) throws IOException {
        return new BertTokenizer(TokenizerJsonReader.read(in, source));
    }

    /** Reads a BERT {@code vocab.txt} with BERT's defaults (uncased, {@code [CLS] A [SEP]}). */
    public static BertTokenizer fromVocab(Path vocabTxt) throws IOException {
        return new BertTokenizer(TokenizerJsonReader.readVocabTxt(vocabTxt));
    }

    /** Builds a tokenizer from a configuration. */
    public static BertTokenizer fromConfig(TokenizerConfig config) {
        return new BertTokenizer(config);
    }

    /** The configuration this tokenizer follows. */
    public TokenizerConfig config() {
        return config;
    }

    /** Encodes {@code [CLS] text [SEP]} with the file's truncation section (no truncation when it has none). */
    public Encoding encode(String text) {
        TruncationConfig t = config.truncation();
        return encode(text, null, t == null ? NO_TRUNCATION : t.maxLength(),
                t == null ? Truncation.LONGEST_FIRST : t.strategy(), direction());
    }

    /** Encodes {@code [CLS] text [SEP]}, truncating to {@code maxLength} positions (specials included). */
    public Encoding encode(String text, int maxLength) {
        return encode(text, null, maxLength, Truncation.LONGEST_FIRST, direction());
    }

    /** Encodes a pair with the file's truncation section (no truncation when it has none). */
    public Encoding encodePair(String a, String b) {
        TruncationConfig t = config.truncation();
        return encode(requireText(a, "first text"), requireText(b, "second text"),
                t == null ? NO_TRUNCATION : t.maxLength(), t == null ? Truncation.LONGEST_FIRST : t.strategy(),
                direction());
    }

    /** Encodes {@code [CLS] a [SEP] b [SEP]} with type ids 0/1, {@code longest_first} truncation to {@code maxLength}. */
    public Encoding encodePair(String a, String b, int maxLength) {
        return encodePair(a, b, maxLength, Truncation.LONGEST_FIRST);
    }

    /** Encodes a pair with the given truncation strategy. */
    public Encoding encodePair(String a, String b, int maxLength, Truncation truncation) {
        return encode(requireText(a, "first text"), requireText(b, "second text"), maxLength, truncation, direction());
    }

    /** Encodes texts independently (no padding); see {@link #encode(String, int)}. */
    public List<Encoding> encodeBatch(List<String> texts, int maxLength) {
        List<Encoding> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(encode(t, maxLength));
        }
        return out;
    }

    /** Encodes texts and pads them to the longest (rounded up to the file's {@code pad_to_multiple_of}). */
    public PaddedBatch encodeBatchPadded(List<String> texts, int maxLength) {
        return pad(encodeBatch(texts, maxLength));
    }

    /** Encodes {@code (query, document)} pairs for a cross-encoder and pads them to the longest. */
    public PaddedBatch encodePairsPadded(String query, List<String> documents, int maxLength) {
        List<Encoding> out = new ArrayList<>(documents.size());
        for (String d : documents) {
            out.add(encodePair(query, d, maxLength));
        }
        return pad(out);
    }

    /**
     * Pads encodings to the longest of them, rounded up to the file's {@code pad_to_multiple_of}, with the file's
     * pad token, pad type id and direction ({@code [PAD]}, 0, right by default).
     */
    public PaddedBatch pad(List<Encoding> encodings) {
        int longest = 0;
        for (Encoding e : encodings) {
            longest = Math.max(longest, e.length());
        }
        PaddingConfig p = config.padding();
        int multiple = p == null ? 0 : p.padToMultipleOf();
        if (multiple > 0 && longest % multiple != 0) {
            longest += multiple - longest % multiple;
        }
        return pad(encodings, longest);
    }

    /** Pads encodings to {@code length} positions; an encoding longer than that is an error. */
    public PaddedBatch pad(List<Encoding> encodings, int length) {
        PaddingConfig p = config.padding();
        int padType = p == null ? 0 : p.padTypeId();
        String padToken = p == null ? tokenOr(padId, "[PAD]") : p.padToken();
        boolean left = p != null && p.direction() == Direction.LEFT;
        List<Encoding> out = new ArrayList<>(encodings.size());
        for (Encoding e : encodings) {
            int n = e.length();
            if (n > length) {
                throw new IllegalArgumentException("encoding of " + n + " tokens does not fit padding length " + length);
            }
            if (n == length) {
                out.add(e);
                continue;
            }
            int at = left ? length - n : 0;
            int[] ids = new int[length];
            int[] types = new int[length];
            int[] mask = new int[length];
            String[] tokens = new String[length];
            int[][] offsets = new int[length][];
            Arrays.fill(ids, padId);
            Arrays.fill(types, padType);
            Arrays.fill(tokens, padToken);
            for (int i = 0; i < length; i++) {
                offsets[i] = new int[2];
            }
            System.arraycopy(e.ids(), 0, ids, at, n);
            System.arraycopy(e.typeIds(), 0, types, at, n);
            System.arraycopy(e.attentionMask(), 0, mask, at, n);
            System.arraycopy(e.tokens(), 0, tokens, at, n);
            System.arraycopy(e.offsets(), 0, offsets, at, n);
            out.add(new Encoding(ids, types, mask, tokens, offsets, e.truncated()));
        }
        return new PaddedBatch(out, length);
    }

    /** Size of the vocabulary, added tokens included (ids run from 0 to {@code vocabSize() - 1}). */
    public int vocabSize() {
        return tokensById.length;
    }

    /** The id of a vocabulary or added token, or -1 when there is none. */
    public int tokenId(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? -1 : id;
    }

    /** The token string of an id. */
    public String token(int id) {
        if (id < 0 || id >= tokensById.length || tokensById[id] == null) {
            throw new IllegalArgumentException("no token with id " + id + " (vocabulary size " + vocabSize() + ")");
        }
        return tokensById[id];
    }

    /** Id of the classification token that starts every encoding ({@code [CLS]}). */
    public int clsId() {
        return clsId;
    }

    /** Id of the separator token ({@code [SEP]}). */
    public int sepId() {
        return sepId;
    }

    /** Id used for padding ({@code [PAD]}). */
    public int padId() {
        return padId;
    }

    /** Id of the unknown token ({@code [UNK]}). */
    public int unkId() {
        return unkId;
    }

    private Direction direction() {
        return config.truncation() == null ? Direction.RIGHT : config.truncation().direction();
    }

    private int idOr(String token, int fallback) {
        Integer id = idsByToken.get(token);
        return id == null ? fallback : id;
    }

    private String tokenOr(int id, String fallback) {
        return id >= 0 && id < tokensById.length && tokensById[id] != null ? tokensById[id] : fallback;
    }

    private static String requireText(String text, String what) {
        if (text == null) {
            throw new IllegalArgumentException(what + " is null (expected a string, possibly empty)");
        }
        return text;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Encoding: pieces of each sequence, truncation, template.

    private Encoding encode(String a, String b, int maxLength, Truncation strategy, Direction direction) {
        requireText(a, b == null ? "text" : "first text");
        Pieces first = tokenize(a);
        Pieces second = b == null ? null : tokenize(b);
        boolean isPair = second != null;
        int added = template.addedTokens(isPair);
        int na = first.count;
        int nb = isPair ? second.count : 0;
        int keepA = na;
        int keepB = nb;
        boolean truncated = false;
        if (maxLength != NO_TRUNCATION) {
            if (maxLength < added) {
                throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room: the "
                        + (isPair ? "pair" : "single") + " template adds " + added + " special tokens");
            }
            int max = maxLength - added;
            if (na + nb > max) {
                truncated = true;
                int toRemove = na + nb - max;
                switch (strategy) {
                    case LONGEST_FIRST -> {
                        if (!isPair) {
                            keepA = max;
                        } else {
                            int[] kept = longestFirst(na, nb, max);
                            keepA = kept[0];
                            keepB = kept[1];
                        }
                    }
                    case ONLY_FIRST -> {
                        if (na <= toRemove) {
                            throw new IllegalArgumentException("only_first truncation to " + maxLength
                                    + " cannot fit: the first sequence has " + na + " tokens, " + toRemove
                                    + " must go");
                        }
                        keepA = na - toRemove;
                    }
                    case ONLY_SECOND -> {
                        if (!isPair) {
                            throw new IllegalArgumentException("only_second truncation needs a pair of texts");
                        }
                        if (nb <= toRemove) {
                            throw new IllegalArgumentException("only_second truncation to " + maxLength
                                    + " cannot fit: the second sequence has " + nb + " tokens, " + toRemove
                                    + " must go");
                        }
                        keepB = nb - toRemove;
                    }
                }
            }
        }
        return assemble(first, keepA, second, keepB, direction == Direction.LEFT, truncated);
    }

    /**
     * HF's {@code longest_first} for a pair: the shorter sequence keeps everything if the longer can still get
     * at least as much; otherwise both get half (the longer one the odd position; the second one when equal).
     */
    private static int[] longestFirst(int na, int nb, int max) {
        boolean swap = na > nb;
        int n1 = Math.min(na, nb);
        int n2;
        if (n1 > max) {
            n2 = n1;
        } else {
            n2 = Math.max(n1, max - n1);
        }
        if (n1 + n2 > max) {
            n1 = max / 2;
            n2 = n1 + max % 2;
        }
        return swap ? new int[] {n2, n1} : new int[] {n1, n2};
    }

    private Encoding assemble(Pieces a, int keepA, Pieces b, int keepB, boolean fromLeft, boolean truncated) {
        List<Piece> pieces = b == null ? template.single() : template.pair();
        int length = keepA + keepB + template.addedTokens(b != null);
        int[] ids = new int[length];
        int[] types = new int[length];
        int[] mask = new int[length];
        String[] tokens = new String[length];
        int[][] offsets = new int[length][];
        Arrays.fill(mask, 1);
        int at = 0;
        for (Piece piece : pieces) {
            switch (piece) {
                case Special s -> {
                    for (int i = 0; i < s.ids().length; i++) {
                        ids[at] = s.ids()[i];
                        types[at] = s.typeId();
                        tokens[at] = s.tokens()[i];
                        offsets[at] = new int[2];
                        at++;
                    }
                }
                case Sequence seq -> {
                    Pieces src = seq.second() ? b : a;
                    int keep = seq.second() ? keepB : keepA;
                    int from = fromLeft ? src.count - keep : 0;
                    for (int i = from; i < from + keep; i++) {
                        int id = src.ids[i];
                        ids[at] = id;
                        types[at] = seq.typeId();
                        tokens[at] = tokensById[id];
                        offsets[at] = new int[] {src.starts[i], src.ends[i]};
                        at++;
                    }
                }
            }
        }
        return new Encoding(ids, types, mask, tokens, offsets, truncated);
    }

    // ---------------------------------------------------------------------------------------------------------
    // One sequence: added tokens, normalization + pre-tokenization, WordPiece.

    /** Token ids of one sequence with their offsets into its text; growable scratch owned by one call. */
    private static final class Pieces {
        int[] ids;
        int[] starts;
        int[] ends;
        int count;

        Pieces(int capacity) {
            ids = new int[capacity];
            starts = new int[capacity];
            ends = new int[capacity];
        }

        void add(int id, int start, int end) {
            if (count == ids.length) {
                int n = count * 2;
                ids = Arrays.copyOf(ids, n);
                starts = Arrays.copyOf(starts, n);
                ends = Arrays.copyOf(ends, n);
            }
            ids[count] = id;
            starts[count] = start;
            ends[count] = end;
            count++;
        }
    }

    /** The normalized chars of the word being built, each with the original offsets it came from. */
    private static final class Word {
        char[] chars = new char[64];
        int[] starts = new int[64];
        int[] ends = new int[64];
        int length;

        void append(char c, int start, int end) {
            if (length == chars.length) {
                int n = length * 2;
                chars = Arrays.copyOf(chars, n);
                starts = Arrays.copyOf(starts, n);
                ends = Arrays.copyOf(ends, n);
            }
            chars[length] = c;
            starts[length] = start;
            ends[length] = end;
            length++;
        }
    }

    private Pieces tokenize(String text) {
        Pieces out = new Pieces(Math.max(16, text.length() / 4));
        Word word = new Word();
        int segmentStart = 0;
        int n = text.length();
        if (addedTokenStarts != null) {
            for (int i = 0; i < n; i++) {
                if (!addedTokenStarts[text.charAt(i)]) {
                    continue;
                }
                for (AddedToken t : addedTokens) {
                    int end = i + t.content().length();
                    if (!text.startsWith(t.content(), i) || (t.singleWord() && !standsAlone(text, i, end))) {
                        continue;
                    }
                    int start = i;
                    if (t.lstrip()) {
                        while (start > segmentStart && BertNormalizer.isWhitespace(text.charAt(start - 1))) {
                            start--;
                        }
                    }
                    if (t.rstrip()) {
                        while (end < n && BertNormalizer.isWhitespace(text.charAt(end))) {
                            end++;
                        }
                    }
                    split(text, segmentStart, start, word, out);
                    out.add(t.id(), start, end);
                    segmentStart = end;
                    i = end - 1;
                    break;
                }
            }
        }
        split(text, segmentStart, n, word, out);
        return out;
    }

    /** HF's {@code single_word}: the match is not glued to word characters on either side. */
    private static boolean standsAlone(String text, int start, int end) {
        return (start == 0 || !isWordChar(text.charAt(start - 1))) && (end == text.length()
                || !isWordChar(text.charAt(end)));
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** Normalizes and pre-tokenizes {@code text[from, to)}, feeding each finished word to WordPiece. */
    private void split(String text, int from, int to, Word word, Pieces out) {
        BertNormalizer norm = normalizer;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            switch (norm.kind(c)) {
                case BertNormalizer.WORD -> word.append(norm.single(c), i, i + 1);
                case BertNormalizer.SPACE -> wordPiece(word, out);
                case BertNormalizer.REMOVE -> {
                }
                case BertNormalizer.ISOLATE -> {
                    wordPiece(word, out);
                    word.append(norm.single(c), i, i + 1);
                    wordPiece(word, out);
                }
                case BertNormalizer.COMPLEX -> appendNormalized(norm.complex(c), norm.isolated(c), i, i + 1, word, out);
                default -> { // surrogate
                    if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                        int cp = Character.toCodePoint(c, text.charAt(i + 1));
                        appendNormalized(norm.normalize(cp), norm.isolated(cp), i, i + 2, word, out);
                        i++;
                    } else { // a lone surrogate is what U+FFFD stands for once the text is valid Unicode
                        appendNormalized(norm.normalize(0xFFFD), false, i, i + 1, word, out);
                    }
                }
            }
        }
        wordPiece(word, out);
    }

    /** Adds the normalized output of one original code point at {@code [start, end)}, classifying each char. */
    private void appendNormalized(String normalized, boolean isolated, int start, int end, Word word, Pieces out) {
        if (normalized == null) {
            wordPiece(word, out);
            return;
        }
        if (isolated) {
            wordPiece(word, out);
        }
        for (int j = 0; j < normalized.length(); ) {
            int cp = normalized.codePointAt(j);
            int len = Character.charCount(cp);
            if (!isolated && BertNormalizer.isWhitespace(cp)) {
                wordPiece(word, out);
            } else if (!isolated && BertNormalizer.isPunctuation(cp)) {
                wordPiece(word, out);
                appendChars(normalized, j, len, start, end, word);
                wordPiece(word, out);
            } else {
                appendChars(normalized, j, len, start, end, word);
            }
            j += len;
        }
        if (isolated) {
            wordPiece(word, out);
        }
    }

    private static void appendChars(String s, int from, int len, int start, int end, Word word) {
        for (int k = from; k < from + len; k++) {
            word.append(s.charAt(k), start, end);
        }
    }

    /**
     * Greedy longest-match WordPiece of the current word (then cleared): the longest vocabulary prefix, then the
     * longest {@code ##}-prefixed continuation, and so on; if some rest matches nothing, or the word has more than
     * {@code max_input_chars_per_word} code points, the whole word is one {@code [UNK]}.
     */
    private void wordPiece(Word word, Pieces out) {
        int n = word.length;
        if (n == 0) {
            return;
        }
        word.length = 0;
        char[] chars = word.chars;
        if (n > maxInputCharsPerWord && Character.codePointCount(chars, 0, n) > maxInputCharsPerWord) {
            out.add(unkId, word.starts[0], word.ends[n - 1]);
            return;
        }
        int mark = out.count;
        WordPieceTrie t = trie;
        int start = 0;
        while (start < n) {
            int node = start == 0 ? t.fromRoot(chars[start]) : t.fromContinuation(chars[start]);
            int bestEnd = -1;
            int bestId = WordPieceTrie.NONE;
            int i = start + 1;
            while (node != WordPieceTrie.NONE) {
                int id = t.tokenId(node);
                if (id != WordPieceTrie.NONE) {
                    bestEnd = i;
                    bestId = id;
                }
                if (i == n) {
                    break;
                }
                node = t.next(node, chars[i++]);
            }
            if (bestEnd < 0) {
                out.count = mark;
                out.add(unkId, word.starts[0], word.ends[n - 1]);
                return;
            }
            out.add(bestId, word.starts[start], word.ends[bestEnd - 1]);
            start = bestEnd;
        }
    }
}
