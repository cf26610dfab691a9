package dev.bicross.tokenizer;

import dev.bicross.tokenizer.TokenizerConfig.Normalizer;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HF's {@code BertNormalizer} followed by {@code BertPreTokenizer}, reduced to what each code point becomes.
 * Every step of both is per character (clean text, CJK padding, NFD + drop Mn, lowercase, split on whitespace,
 * isolate punctuation), so the whole pipeline is a lookup: for every BMP char a precomputed {@link #kind} and
 * output; supplementary code points (rare) are computed on the fly with the same rules. Immutable.
 */
final class BertNormalizer {

    /** Dropped: NUL, U+FFFD and control/format/unassigned chars under clean_text, or a stripped accent. */
    static final byte REMOVE = 0;
    /** Whitespace: ends the current word. */
    static final byte SPACE = 1;
    /** Appends {@link #single} to the current word. */
    static final byte WORD = 2;
    /** {@link #single} is a word of its own (punctuation, CJK ideograph). */
    static final byte ISOLATE = 3;
    /** Output of several chars, each classified again ({@link #complex}). */
    static final byte COMPLEX = 4;
    /** Half of a surrogate pair: handled by code point. */
    static final byte SURROGATE = 5;

    private static final Map<Normalizer, BertNormalizer> CACHE = new ConcurrentHashMap<>();

    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final byte[] kind = new byte[65536];
    private final char[] single = new char[65536];
    private final String[] complex = new String[65536];

    private BertNormalizer(Normalizer config) {
        this.cleanText = config.cleanText();
        this.handleChineseChars = config.handleChineseChars();
        this.stripAccents = config.stripsAccents();
        this.lowercase = config.lowercase();
        for (int c = 0; c < 65536; c++) {
            if (Character.isSurrogate((char) c)) {
                kind[c] = SURROGATE;
                continue;
            }
            String out = normalize(c);
            if (out == null) {
                kind[c] = SPACE;
            } else if (out.isEmpty()) {
                kind[c] = REMOVE;
            } else if (out.length() == 1 && isolated(c)) {
                kind[c] = ISOLATE;
                single[c] = out.charAt(0);
            } else if (out.length() == 1 && !isWhitespace(out.charAt(0))) {
                kind[c] = isPunctuation(out.charAt(0)) ? ISOLATE : WORD;
                single[c] = out.charAt(0);
            } else {
                kind[c] = COMPLEX;
                complex[c] = out;
            }
        }
    }

    /** The (shared, immutable) tables for a normalizer configuration. */
    static BertNormalizer of(Normalizer config) {
        Normalizer key = new Normalizer(config.cleanText(), config.handleChineseChars(), config.stripsAccents(),
                config.lowercase());
        return CACHE.computeIfAbsent(key, BertNormalizer::new);
    }

    byte kind(char c) {
        return kind[c];
    }

    char single(char c) {
        return single[c];
    }

    String complex(char c) {
        return complex[c];
    }

    /**
     * What the normalizer makes of one code point: {@code null} for whitespace (a word break), {@code ""} when it
     * is dropped, otherwise the normalized chars.
     */
    String normalize(int cp) {
        if (cleanText && (cp == 0 || cp == 0xFFFD || isControl(cp))) {
            return "";
        }
        if (isWhitespace(cp)) {
            return null;
        }
        String s = Character.toString(cp);
        if (cp < 0x80) {
            return lowercase ? s.toLowerCase(Locale.ROOT) : s;
        }
        if (stripAccents) {
            s = stripAccents(s);
        }
        if (lowercase) {
            s = lowercase(s);
        }
        return s;
    }

    /** Whether the whole output of this code point forms a word of its own (a CJK ideograph). */
    boolean isolated(int cp) {
        return handleChineseChars && isChinese(cp);
    }

    private static String stripAccents(String s) {
        String nfd = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(nfd.length());
        nfd.codePoints().filter(c -> !isNonSpacingMark(c)).forEach(out::appendCodePoint);
        return out.toString();
    }

    /** Lowercases char by char, like Rust's {@code char::to_lowercase} (no context: Σ always becomes σ). */
    private static String lowercase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> out.append(Character.toString(c).toLowerCase(Locale.ROOT)));
        return out.toString();
    }

    /** Rust's {@code char::is_whitespace} (Unicode White_Space); HF's BERT whitespace is the same set. */
    static boolean isWhitespace(int c) {
        return switch (c) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }

    /**
     * HF's BERT control test: categories Cc, Cf, Cs, Co, except tab, newline and carriage return. HF's comment
     * says Cn too, but its category tables do not list unassigned code points, so they stay (and become [UNK]).
     */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r' || LegacyCategories.of(c) != LegacyCategories.Kind.JDK) {
            return false;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    /** HF's BERT punctuation: any ASCII punctuation, or a Unicode P* character. */
    static boolean isPunctuation(int c) {
        if (c < 0x80) {
            return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        }
        LegacyCategories.Kind legacy = LegacyCategories.of(c);
        if (legacy != LegacyCategories.Kind.JDK) {
            return legacy == LegacyCategories.Kind.PUNCTUATION;
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** HF's non-spacing mark (Mn), the chars that accent stripping drops after NFD. */
    static boolean isNonSpacingMark(int c) {
        LegacyCategories.Kind legacy = LegacyCategories.of(c);
        if (legacy != LegacyCategories.Kind.JDK) {
            return legacy == LegacyCategories.Kind.MARK;
        }
        return Character.getType(c) == Character.NON_SPACING_MARK;
    }

    /** HF's "Chinese character": the CJK Unified Ideographs blocks and their extensions and compatibility blocks. */
    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
