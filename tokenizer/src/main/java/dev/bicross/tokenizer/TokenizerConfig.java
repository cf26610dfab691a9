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

    public TokenizerConfig {
        Objects.requireNonNull(normalizer, "normalizer");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(postProcessor, "postProcessor");
        addedTokens = List.copyOf(addedTokens);
    }

    /**
     * The configuration BERT's {@code vocab.txt} implies: uncased normalizer, {@code [UNK]}, {@code ##},
     * 100 chars per word, {@code [CLS] A [SEP]} / {@code [CLS] A [SEP] B [SEP]}, no truncation or padding section,
     * and the special tokens {@code [PAD] [UNK] [CLS] [SEP] [MASK]} that exist in the vocabulary.
     */
    public static TokenizerConfig bertDefaults(Map<String, Integer> vocab) {
        Template template = Template.bert("[CLS]", idOf(vocab, "[CLS]"), "[SEP]", idOf(vocab, "[SEP]"));
        List<AddedToken> specials = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]").stream()
                .filter(vocab::containsKey)
                .map(t -> new AddedToken(vocab.get(t), t, false, false, false, false, true))
                .toList();
        PaddingConfig padding = null;
        return new TokenizerConfig(new Normalizer(true, true, null, true),
                new WordPieceModel(vocab, "[UNK]", "##", 100), template, null, padding, specials);
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
        public Template {
            single = List.copyOf(single);
            pair = List.copyOf(pair);
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
