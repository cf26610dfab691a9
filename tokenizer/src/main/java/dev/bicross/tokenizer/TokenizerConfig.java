package dev.bicross.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of a Hugging Face {@code tokenizer.json} that a BERT WordPiece tokenizer uses, field for field.
 * Immutable; read one with {@link TokenizerJsonReader}, or build one for a bare {@code vocab.txt} with
 * {@link #bertDefaults(Map)}.
 *
 * @param normalizer    the {@code normalizer} section ({@code BertNormalizer})
 * @param model         the {@code model} section ({@code WordPiece})
 * @param postProcessor the {@code post_processor} section as a template (BertProcessing is converted to one)
 * @param truncation    the {@code truncation} section, or {@code null} when the file has none
 * @param padding       the {@code padding} section, or {@code null} when the file has none
 * @param addedTokens   the {@code added_tokens} section
 */
public record TokenizerConfig(Normalizer normalizer, WordPieceModel model, Template postProcessor,
                              TruncationConfig truncation, PaddingConfig padding, List<AddedToken> addedTokens) {

    /** Ids must lie in {@code [0, MAX_ID)}: the tokenizer keeps an array indexed by id. */
    public static final int MAX_ID = 1 << 24;

    /**
     * Validates what the tokenizer relies on: ids within {@code [0, MAX_ID)}, every id the template or the padding
     * emits is a token's id.
     *
     * @throws IllegalArgumentException naming the offending token, id or section
     */
    public TokenizerConfig {
        Objects.requireNonNull(normalizer, "normalizer");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(postProcessor, "postProcessor");
        addedTokens = List.copyOf(addedTokens);
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        model.vocab().forEach((token, id) -> ids.add(checkId(id, "vocab id of '" + token + "'")));
        for (AddedToken t : addedTokens) {
            ids.add(checkId(t.id(), "added token '" + t.content() + "' id"));
        }
        for (Piece piece : postProcessor.pair()) {
            checkSpecialIds(piece, ids);
        }
        for (Piece piece : postProcessor.single()) {
            checkSpecialIds(piece, ids);
        }
        if (padding != null && !ids.contains(padding.padId())) {
            throw new IllegalArgumentException("padding pad_id " + padding.padId() + " is not the id of any token");
        }
    }

    private static int checkId(int id, String what) {
        if (id < 0 || id >= MAX_ID) {
            throw new IllegalArgumentException(what + " is " + id + ", outside [0, " + MAX_ID + ")");
        }
        return id;
    }

    private static void checkSpecialIds(Piece piece, java.util.Set<Integer> ids) {
        if (piece instanceof Special s) {
            for (int id : s.ids()) {
                if (!ids.contains(id)) {
                    throw new IllegalArgumentException("post_processor special token '" + s.name() + "' has id " + id
                            + ", which is not the id of any token in the vocabulary");
                }
            }
        }
    }

    /**
     * The configuration BERT's {@code vocab.txt} implies: uncased normalizer, {@code [UNK]}, {@code ##},
     * 100 chars per word, {@code [CLS] A [SEP]} / {@code [CLS] A [SEP] B [SEP]}, no truncation, padding to the
     * longest with {@code [PAD]}, and the special tokens {@code [PAD] [UNK] [CLS] [SEP] [MASK]} that exist in the vocabulary.
     */
    public static TokenizerConfig bertDefaults(Map<String, Integer> vocab) {
        return bert(vocab, new Normalizer(true, true, null, true), "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]");
    }

    /**
     * A BERT configuration for a {@code vocab.txt} with the given normalizer and special tokens (as a
     * {@code tokenizer_config.json} states them): {@code [CLS] A [SEP]} / {@code [CLS] A [SEP] B [SEP]}, no
     * truncation, padding to the longest with {@code pad}; the special tokens found in the vocabulary are matched in the text.
     */
    public static TokenizerConfig bert(Map<String, Integer> vocab, Normalizer normalizer, String unk, String cls,
                                       String sep, String pad, String mask) {
        Template template = Template.bert(cls, idOf(vocab, cls), sep, idOf(vocab, sep));
        List<AddedToken> specials = java.util.stream.Stream.of(pad, unk, cls, sep, mask).distinct()
                .filter(vocab::containsKey)
                .map(t -> new AddedToken(vocab.get(t), t, false, false, false, false, true))
                .toList();
        PaddingConfig padding = vocab.containsKey(pad)
                ? new PaddingConfig(0, Direction.RIGHT, 0, vocab.get(pad), 0, pad) : null;
        return new TokenizerConfig(normalizer, new WordPieceModel(vocab, unk, "##", 100), template, null, padding,
                specials);
    }

    private static int idOf(Map<String, Integer> vocab, String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("vocabulary has no " + token + " token");
        }
        return id;
    }

    /**
     * {@code BertNormalizer}.
     *
     * @param stripAccents {@code null} means "follow {@code lowercase}", as in HF
     */
    public record Normalizer(boolean cleanText, boolean handleChineseChars, Boolean stripAccents, boolean lowercase) {

        /** Whether accents are stripped once the {@code null} default is resolved. */
        public boolean stripsAccents() {
            return stripAccents == null ? lowercase : stripAccents;
        }
    }

    /** {@code WordPiece} model: vocabulary token → id, unknown token, continuation prefix, longest word. */
    public record WordPieceModel(Map<String, Integer> vocab, String unkToken, String continuingSubwordPrefix,
                                 int maxInputCharsPerWord) {
        public WordPieceModel {
            vocab = Map.copyOf(vocab);
            if (!vocab.containsKey(unkToken)) {
                throw new IllegalArgumentException("WordPiece unk_token '" + unkToken + "' is not in the vocabulary");
            }
        }
    }

    /** Which side truncation removes tokens from ({@code direction}). */
    public enum Direction { RIGHT, LEFT }

    /** {@code truncation}: maximum length (special tokens included), strategy, stride, direction. */
    public record TruncationConfig(int maxLength, Truncation strategy, int stride, Direction direction) {
    }

    /**
     * {@code padding}.
     *
     * @param fixedLength    the length of {@code Fixed} padding, or 0 for {@code BatchLongest}
     * @param padToMultipleOf 0 when absent
     */
    public record PaddingConfig(int fixedLength, Direction direction, int padToMultipleOf, int padId,
                                int padTypeId, String padToken) {
    }

    /** One entry of {@code added_tokens}. */
    public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                             boolean normalized, boolean special) {
    }

    /**
     * A post-processing template: the pieces of a single and of a pair encoding, in order.
     * {@code BertProcessing} is the template {@code [CLS]:0 $A:0 [SEP]:0} / {@code ... $B:1 [SEP]:1}.
     */
    public record Template(List<Piece> single, List<Piece> pair) {
        /**
         * Checks the BERT shape: the single template holds {@code $A} once, the pair template {@code $A} and
         * {@code $B} once each; sequences have type id 0 ({@code $A}) and 1 ({@code $B}), special tokens 0 or 1, and
         * at least one id each (an encoding's offsets refer to the first text for type 0, the second for type 1).
         *
         * @throws IllegalArgumentException naming the template and the piece at fault
         */
        public Template {
            single = List.copyOf(single);
            pair = List.copyOf(pair);
            check(single, "single", false);
            check(pair, "pair", true);
        }

        private static void check(List<Piece> pieces, String which, boolean isPair) {
            int a = 0;
            int b = 0;
            for (Piece p : pieces) {
                switch (p) {
                    case Sequence s -> {
                        if (s.second()) {
                            b++;
                        } else {
                            a++;
                        }
                        if (s.typeId() != (s.second() ? 1 : 0)) {
                            throw new IllegalArgumentException("post_processor " + which + " template gives $"
                                    + (s.second() ? "B" : "A") + " type id " + s.typeId() + " (bicross supports $A:0 and $B:1)");
                        }
                    }
                    case Special s -> {
                        if (s.ids().length == 0 || s.ids().length != s.tokens().length) {
                            throw new IllegalArgumentException("post_processor special token '" + s.name() + "' has "
                                    + s.ids().length + " ids and " + s.tokens().length + " tokens (needs at least one of each, as many tokens as ids)");
                        }
                        if (s.typeId() != 0 && s.typeId() != 1) {
                            throw new IllegalArgumentException("post_processor " + which + " template gives special token '"
                                    + s.name() + "' type id " + s.typeId() + " (bicross supports 0 and 1)");
                        }
                    }
                }
            }
            if (a != 1 || b != (isPair ? 1 : 0)) {
                throw new IllegalArgumentException("post_processor " + which + " template has $A " + a + " and $B " + b
                        + " times (expected $A once" + (isPair ? " and $B once)" : " and no $B)"));
            }
        }

        /** The BERT template with the given special tokens. */
        public static Template bert(String cls, int clsId, String sep, int sepId) {
            Special clsPiece = new Special(cls, new int[] {clsId}, new String[] {cls}, 0);
            Special sep0 = new Special(sep, new int[] {sepId}, new String[] {sep}, 0);
            Special sep1 = new Special(sep, new int[] {sepId}, new String[] {sep}, 1);
            return new Template(List.of(clsPiece, new Sequence(false, 0), sep0),
                    List.of(clsPiece, new Sequence(false, 0), sep0, new Sequence(true, 1), sep1));
        }

        /** Number of special token positions the template adds. */
        public int addedTokens(boolean isPair) {
            int n = 0;
            for (Piece p : isPair ? pair : single) {
                if (p instanceof Special s) {
                    n += s.ids().length;
                }
            }
            return n;
        }
    }

    /** A piece of a {@link Template}. */
    public sealed interface Piece permits Special, Sequence {
    }

    /** A special token (possibly several ids) with its type id. */
    public record Special(String name, int[] ids, String[] tokens, int typeId) implements Piece {
    }

    /** The first ({@code $A}) or second ({@code $B}) sequence with its type id. */
    public record Sequence(boolean second, int typeId) implements Piece {
    }
}
