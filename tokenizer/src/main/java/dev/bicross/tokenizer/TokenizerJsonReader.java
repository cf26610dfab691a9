package dev.bicross.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bicross.tokenizer.TokenizerConfig.AddedToken;
import dev.bicross.tokenizer.TokenizerConfig.Direction;
import dev.bicross.tokenizer.TokenizerConfig.Normalizer;
import dev.bicross.tokenizer.TokenizerConfig.PaddingConfig;
import dev.bicross.tokenizer.TokenizerConfig.Piece;
import dev.bicross.tokenizer.TokenizerConfig.Sequence;
import dev.bicross.tokenizer.TokenizerConfig.Special;
import dev.bicross.tokenizer.TokenizerConfig.Template;
import dev.bicross.tokenizer.TokenizerConfig.TruncationConfig;
import dev.bicross.tokenizer.TokenizerConfig.WordPieceModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} (or a BERT {@code vocab.txt}) into a {@link TokenizerConfig}.
 * Everything bicross cannot reproduce exactly is rejected with a message that names the file and the value.
 */
public final class TokenizerJsonReader {

    /** Field names are not canonicalized: the vocabulary's 30k one-off names would only fill the symbol table. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

    private TokenizerJsonReader() {
    }

    /**
     * Reads {@code tokenizer.json} from a file.
     *
     * @throws IOException if the file cannot be read, or (with a message that starts with the file name) is not a
     *                     tokenizer.json bicross can reproduce exactly; nothing else is thrown for bad contents
     */
    public static TokenizerConfig read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads {@code tokenizer.json} from a stream.
     *
     * @param source the name used in error messages (usually the file name)
     * @throws IOException with a message that starts with {@code source}, for malformed or unsupported contents
     */
    public static TokenizerConfig read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (JacksonException e) {
            throw new IOException(source + ": malformed JSON (" + e.getOriginalMessage() + ")", e);
        } catch (java.io.CharConversionException e) {
            throw new IOException(source + ": not JSON text (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(source + ": not a tokenizer.json (expected a JSON object)");
        }
        try {
            return parse(root, source);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage().startsWith(source + ": ") ? e.getMessage()
                    : source + ": " + e.getMessage(), e);
        }
    }

    /** Reads a BERT {@code vocab.txt} (one token per line, id = line number) with BERT defaults. */
    public static TokenizerConfig readVocabTxt(Path file) throws IOException {
        return readVocabTxt(file, null);
    }

    /**
     * Reads a BERT {@code vocab.txt} with the settings of a transformers {@code tokenizer_config.json}
     * ({@code do_lower_case}, {@code strip_accents}, {@code tokenize_chinese_chars} and the special tokens);
     * BERT defaults for what it does not say, or for all of it when {@code tokenizerConfig} is {@code null}.
     *
     * @throws IOException if a file cannot be read, or (with a message that starts with the offending file) is not
     *                     UTF-8, is empty, lacks a special token, or holds malformed JSON
     */
    public static TokenizerConfig readVocabTxt(Path file, Path tokenizerConfig) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        int id = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                String token = line.strip();
                if (!token.isEmpty()) {
                    vocab.putIfAbsent(token, id);
                }
                id++;
            }
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text (malformed bytes near line " + (id + 1) + ")", e);
        }
        if (vocab.isEmpty()) {
            throw new IOException(file + ": empty vocabulary");
        }
        JsonNode tc = JSON.createObjectNode();
        if (tokenizerConfig != null) {
            try (InputStream in = Files.newInputStream(tokenizerConfig)) {
                tc = JSON.readTree(in);
            } catch (JacksonException e) {
                throw new IOException(tokenizerConfig + ": malformed JSON (" + e.getOriginalMessage() + ")", e);
            } catch (java.io.CharConversionException e) {
                throw new IOException(tokenizerConfig + ": not JSON text (" + e.getMessage() + ")", e);
            }
        }
        JsonNode strip = tc.path("strip_accents");
        Normalizer normalizer = new Normalizer(true, tc.path("tokenize_chinese_chars").asBoolean(true),
                strip.isBoolean() ? strip.asBoolean() : null, tc.path("do_lower_case").asBoolean(true));
        try {
            return TokenizerConfig.bert(vocab, normalizer, special(tc, "unk_token", "[UNK]"),
                    special(tc, "cls_token", "[CLS]"), special(tc, "sep_token", "[SEP]"),
                    special(tc, "pad_token", "[PAD]"), special(tc, "mask_token", "[MASK]"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** A special token of tokenizer_config.json: a string, or an object with {@code content} (newer files). */
    private static String special(JsonNode tc, String field, String fallback) {
        JsonNode v = tc.path(field);
        if (v.isTextual()) {
            return v.asText();
        }
        return v.path("content").isTextual() ? v.path("content").asText() : fallback;
    }

    private static TokenizerConfig parse(JsonNode root, String source) {
        WordPieceModel model = model(root.path("model"), source);
        Normalizer normalizer = normalizer(root.path("normalizer"), source);
        preTokenizer(root.path("pre_tokenizer"), source);
        List<AddedToken> added = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            added.add(new AddedToken(t.path("id").asInt(), text(t, "content", source),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(false),
                    t.path("special").asBoolean(false)));
        }
        Template template = postProcessor(root.path("post_processor"), source);
        return new TokenizerConfig(normalizer, model, template, truncation(root.path("truncation"), source),
                padding(root.path("padding"), source), added);
    }

    private static WordPieceModel model(JsonNode model, String source) {
        if (!model.isObject()) {
            throw new IllegalArgumentException(source + ": no 'model' section");
        }
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.path("vocab").isObject() && model.has("continuing_subword_prefix")) {
            type = "WordPiece"; // old files omit the type
        }
        if (!type.equals("WordPiece")) {
            throw new IllegalArgumentException(source + ": unknown model type '" + type
                    + "' (bicross supports WordPiece)");
        }
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) {
            throw new IllegalArgumentException(source + ": WordPiece model has no vocab");
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt()) {
                throw new IllegalArgumentException(source + ": vocab id of '" + e.getKey() + "' is not an integer: "
                        + e.getValue());
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        return new WordPieceModel(vocab, model.path("unk_token").asText("[UNK]"),
                model.path("continuing_subword_prefix").asText("##"),
                model.path("max_input_chars_per_word").asInt(100));
    }

    private static Normalizer normalizer(JsonNode n, String source) {
        if (n.isMissingNode() || n.isNull()) {
            return new Normalizer(false, false, false, false);
        }
        String type = n.path("type").asText("");
        if (!type.equals("BertNormalizer")) {
            throw new IllegalArgumentException(source + ": unsupported normalizer '" + type
                    + "' (bicross supports BertNormalizer)");
        }
        JsonNode strip = n.path("strip_accents");
        return new Normalizer(n.path("clean_text").asBoolean(true), n.path("handle_chinese_chars").asBoolean(true),
                strip.isBoolean() ? strip.asBoolean() : null, n.path("lowercase").asBoolean(true));
    }

    private static void preTokenizer(JsonNode p, String source) {
        String type = p.path("type").asText("");
        if (!type.equals("BertPreTokenizer")) {
            throw new IllegalArgumentException(source + ": unsupported pre_tokenizer '"
                    + (p.isMissingNode() || p.isNull() ? "null" : type) + "' (bicross supports BertPreTokenizer)");
        }
    }

    private static Template postProcessor(JsonNode p, String source) {
        if (p.isMissingNode() || p.isNull()) {
            return new Template(List.of(new Sequence(false, 0)), List.of(new Sequence(false, 0), new Sequence(true, 1)));
        }
        String type = p.path("type").asText("");
        return switch (type) {
            case "BertProcessing" -> Template.bert(p.path("cls").path(0).asText(), p.path("cls").path(1).asInt(),
                    p.path("sep").path(0).asText(), p.path("sep").path(1).asInt());
            case "TemplateProcessing" -> {
                Map<String, Special> specials = new HashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = p.path("special_tokens").fields(); it.hasNext(); ) {
                    JsonNode s = it.next().getValue();
                    int[] ids = new int[s.path("ids").size()];
                    String[] tokens = new String[ids.length];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = s.path("ids").path(i).asInt();
                        tokens[i] = s.path("tokens").path(i).asText();
                    }
                    specials.put(s.path("id").asText(), new Special(s.path("id").asText(), ids, tokens, 0));
                }
                yield new Template(pieces(p.path("single"), specials, source),
                        pieces(p.path("pair"), specials, source));
            }
            default -> throw new IllegalArgumentException(source + ": unsupported post_processor '" + type
                    + "' (bicross supports BertProcessing and TemplateProcessing)");
        };
    }

    private static List<Piece> pieces(JsonNode list, Map<String, Special> specials, String source) {
        List<Piece> pieces = new ArrayList<>();
        for (JsonNode item : list) {
            if (item.has("SpecialToken")) {
                JsonNode s = item.get("SpecialToken");
                Special special = specials.get(s.path("id").asText());
                if (special == null) {
                    throw new IllegalArgumentException(source + ": template uses special token '"
                            + s.path("id").asText() + "' that special_tokens does not define");
                }
                pieces.add(new Special(special.name(), special.ids(), special.tokens(), s.path("type_id").asInt()));
            } else if (item.has("Sequence")) {
                JsonNode s = item.get("Sequence");
                String id = s.path("id").asText();
                if (!id.equals("A") && !id.equals("B")) {
                    throw new IllegalArgumentException(source + ": template sequence id '" + id + "' (expected A or B)");
                }
                pieces.add(new Sequence(id.equals("B"), s.path("type_id").asInt()));
            } else {
                throw new IllegalArgumentException(source + ": unknown template piece " + item);
            }
        }
        return pieces;
    }

    private static TruncationConfig truncation(JsonNode t, String source) {
        if (t.isMissingNode() || t.isNull()) {
            return null;
        }
        String strategy = t.path("strategy").asText("LongestFirst");
        Truncation truncation = switch (strategy) {
            case "LongestFirst" -> Truncation.LONGEST_FIRST;
            case "OnlyFirst" -> Truncation.ONLY_FIRST;
            case "OnlySecond" -> Truncation.ONLY_SECOND;
            default -> throw new IllegalArgumentException(source + ": unknown truncation strategy '" + strategy + "'");
        };
        return new TruncationConfig(t.path("max_length").asInt(512), truncation, t.path("stride").asInt(0),
                direction(t.path("direction"), source));
    }

    private static PaddingConfig padding(JsonNode p, String source) {
        if (p.isMissingNode() || p.isNull()) {
            return null;
        }
        JsonNode strategy = p.path("strategy");
        int fixed = strategy.isObject() && strategy.has("Fixed") ? strategy.get("Fixed").asInt() : 0;
        return new PaddingConfig(fixed, direction(p.path("direction"), source), p.path("pad_to_multiple_of").asInt(0),
                p.path("pad_id").asInt(0), p.path("pad_type_id").asInt(0), p.path("pad_token").asText("[PAD]"));
    }

    private static Direction direction(JsonNode d, String source) {
        String value = d.asText("Right");
        return switch (value) {
            case "Right" -> Direction.RIGHT;
            case "Left" -> Direction.LEFT;
            default -> throw new IllegalArgumentException(source + ": unknown direction '" + value + "'");
        };
    }

    private static String text(JsonNode node, String field, String source) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(source + ": missing text field '" + field + "' in " + node);
        }
        return v.asText();
    }
}
