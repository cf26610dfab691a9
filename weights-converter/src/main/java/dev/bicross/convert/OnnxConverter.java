package dev.bicross.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bicross.convert.onnx.OnnxModel;
import dev.bicross.convert.onnx.OnnxReader;
import dev.bicross.engine.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Converts a BERT-family ONNX model (a {@code .onnx} file, or a jar/zip that carries one next to a
 * {@code *tokenizer.json}) into a Hugging Face model folder that bicross and transformers both load:
 * <pre>
 *   model.safetensors          F32, HF parameter names, PyTorch [out, in] layouts
 *   config.json                derived from tensors and graph
 *   tokenizer.json             copied; plus vocab.txt, tokenizer_config.json, special_tokens_map.json
 *   modules.json, sentence_bert_config.json, 1_Pooling/config.json   (sentence-transformers)
 *   bicross-conversion.json    provenance; written last
 * </pre>
 * The folder is assembled under a temporary name next to {@code outDir} and renamed into place, so {@code outDir}
 * either does not exist or is complete. Stateless and thread-safe.
 */
public final class OnnxConverter {

    /** Written last into every converted folder: its presence means the folder is complete. */
    public static final String MARKER_FILE = "bicross-conversion.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Options for a conversion.
     *
     * @param sentenceTransformer pooling / normalisation / max length to record (the ONNX file cannot tell)
     * @param tokenizer           tokenizer.json to copy, or null to look next to the model (or inside the jar)
     * @param replaceExisting     whether an existing non-empty {@code outDir} may be replaced
     * @param progress            receives one line per step (never null; use {@code s -> {}} for silence)
     */
    public record Options(SentenceTransformerSettings sentenceTransformer, Path tokenizer, boolean replaceExisting,
                          Consumer<String> progress) {

        /** Defaults: all-MiniLM-L6-v2's sentence-transformers settings, tokenizer found automatically, no replace. */
        public static Options defaults() {
            return new Options(SentenceTransformerSettings.ALL_MINILM_L6_V2, null, false, s -> {
            });
        }

        /** Validates. */
        public Options {
            Objects.requireNonNull(sentenceTransformer, "sentenceTransformer");
            Objects.requireNonNull(progress, "progress");
        }
    }

    private OnnxConverter() {
    }

    /** Converts with {@link Options#defaults()}. */
    public static ConversionResult convert(Path onnxOrJar, Path outDir) throws IOException {
        return convert(onnxOrJar, outDir, Options.defaults());
    }

    /** Converts {@code onnxOrJar} into the Hugging Face folder {@code outDir} (created atomically). */
    public static ConversionResult convert(Path onnxOrJar, Path outDir, Options options) throws IOException {
        Path out = outDir.toAbsolutePath().normalize();
        if (Files.isDirectory(out) && !options.replaceExisting() && !isEmptyDirectory(out)) {
            throw new FileAlreadyExistsException(out + ": output folder exists and is not empty"
                    + " (choose another folder, or replace it explicitly)");
        }
        Input input = Input.open(onnxOrJar, options.tokenizer());
        options.progress().accept("reading " + input.onnxSource() + " (" + input.onnx().remaining() + " bytes)");
        OnnxModel model = OnnxReader.read(input.onnx(), input.onnxSource());
        options.progress().accept("graph: " + model.graph().nodes().size() + " nodes, "
                + model.graph().initializers().size() + " initializers (producer " + model.producerName() + " "
                + model.producerVersion() + ", opset " + model.opsetVersion() + ")");
        BertRecovery.Result recovered = BertRecovery.recover(model);
        BertConfig config = recovered.config();
        List<String> notes = new ArrayList<>(recovered.notes());
        JsonNode tokenizer = null;
        if (input.tokenizer() != null) {
            tokenizer = JSON.readTree(input.tokenizer());
            config = config.withPadTokenId(padId(tokenizer));
        } else {
            notes.add("no tokenizer.json found for " + input.onnxSource() + ": the folder has none (copy one in)");
        }
        options.progress().accept("config: " + describe(config));

        Map<String, String> renamed = new TreeMap<>(Comparator.comparing((String s) -> s.length()).thenComparing(s -> s));
        for (HfTensor t : recovered.tensors().values()) {
            String onnxName = t.origin().split(" ", 2)[0];
            if (!onnxName.equals(t.name())) {
                renamed.put(onnxName, t.name());
            }
        }

        Path parent = out.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".partial-");
        try {
            List<String> files = new ArrayList<>();
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            for (HfTensor t : recovered.tensors().values()) {
                writer.addF32(t.name(), t.shape(), t.data());
            }
            options.progress().accept("writing model.safetensors: " + writer.size() + " tensors, "
                    + writer.dataBytes() + " bytes");
            long bytes = writer.write(tmp.resolve("model.safetensors"));
            files.add("model.safetensors");
            writeJson(tmp, "config.json", config.toJson(), files);
            if (input.tokenizer() != null) {
                Files.write(tmp.resolve("tokenizer.json"), input.tokenizer());
                files.add("tokenizer.json");
                writeTokenizerCompanions(tmp, tokenizer, config, files, notes);
            }
            writeSentenceTransformer(tmp, options.sentenceTransformer(), config, files, notes);
            Map<String, Object> marker = new LinkedHashMap<>();
            marker.put("converter", "bicross weights-converter");
            marker.put("source", input.onnxSource());
            marker.put("source_sha256", sha256(input.onnx()));
            marker.put("onnx_producer", model.producerName() + " " + model.producerVersion());
            marker.put("tensors", recovered.tensors().size());
            marker.put("recovered_names", renamed);
            writeJson(tmp, MARKER_FILE, marker, files);
            moveIntoPlace(tmp, out, options.replaceExisting());
            options.progress().accept("wrote " + out);
            return new ConversionResult(out, recovered.tensors().size(), bytes, config, renamed, List.copyOf(files),
                    List.copyOf(notes));
        } finally {
            deleteRecursively(tmp);
        }
    }

    /** One-line summary of a config for progress output. */
    public static String describe(BertConfig c) {
        return c.architecture() + ", " + c.numHiddenLayers() + " layers, hidden " + c.hiddenSize() + ", "
                + c.numAttentionHeads() + " heads, intermediate " + c.intermediateSize() + ", vocab " + c.vocabSize()
                + ", positions " + c.maxPositions() + ", types " + c.typeVocabSize() + ", eps "
                + Float.toString(c.layerNormEps()) + ", " + c.hiddenAct();
    }

    // ---- input --------------------------------------------------------------------------------------------------

    /** The ONNX bytes and tokenizer.json found for an input path. */
    private record Input(ByteBuffer onnx, String onnxSource, byte[] tokenizer) {

        static Input open(Path path, Path explicitTokenizer) throws IOException {
            if (!Files.isRegularFile(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such model file (expected a .onnx file or a jar)");
            }
            byte[] tokenizer = explicitTokenizer == null ? null : Files.readAllBytes(explicitTokenizer);
            if (isZip(path)) {
                return fromJar(path, tokenizer);
            }
            ByteBuffer onnx;
            try (var ch = java.nio.channels.FileChannel.open(path)) {
                if (ch.size() > Integer.MAX_VALUE - 8) {
                    throw new ConversionException(path + ": " + ch.size() + " bytes is over the 2 GB a single ONNX"
                            + " protobuf can hold");
                }
                onnx = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
            if (tokenizer == null) {
                Path sibling = siblingTokenizer(path);
                if (sibling != null) {
                    tokenizer = Files.readAllBytes(sibling);
                }
            }
            return new Input(onnx, path.toString(), tokenizer);
        }

        private static Input fromJar(Path jar, byte[] tokenizer) throws IOException {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                List<? extends ZipEntry> onnx = zip.stream()
                        .filter(e -> !e.isDirectory() && e.getName().endsWith(".onnx")).toList();
                if (onnx.size() != 1) {
                    throw new ConversionException(jar + ": " + (onnx.isEmpty() ? "no .onnx file inside"
                            : "several .onnx files inside " + onnx.stream().map(ZipEntry::getName).toList()
                            + "; extract the one you want and convert it"));
                }
                ZipEntry model = onnx.getFirst();
                byte[] bytes;
                try (InputStream in = zip.getInputStream(model)) {
                    bytes = in.readAllBytes();
                }
                if (tokenizer == null) {
                    String stem = model.getName().substring(0, model.getName().length() - ".onnx".length());
                    List<? extends ZipEntry> toks = zip.stream()
                            .filter(e -> !e.isDirectory() && e.getName().endsWith("tokenizer.json"))
                            .sorted(Comparator.comparing((ZipEntry e) -> !e.getName().startsWith(stem)))
                            .toList();
                    if (!toks.isEmpty()) {
                        try (InputStream in = zip.getInputStream(toks.getFirst())) {
                            tokenizer = in.readAllBytes();
                        }
                    }
                }
                return new Input(ByteBuffer.wrap(bytes), jar + "!/" + model.getName(), tokenizer);
            }
        }

        private static boolean isZip(Path path) throws IOException {
            try (InputStream in = Files.newInputStream(path)) {
                byte[] head = in.readNBytes(4);
                return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
            }
        }

        /** tokenizer.json, or {@code <stem>-tokenizer.json} / {@code <stem>_tokenizer.json}, next to the model. */
        private static Path siblingTokenizer(Path onnx) {
            Path dir = onnx.toAbsolutePath().getParent();
            String name = onnx.getFileName().toString();
            String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
            for (String candidate : List.of(stem + "-tokenizer.json", stem + "_tokenizer.json", "tokenizer.json")) {
                Path p = dir.resolve(candidate);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
            return null;
        }
    }

    // ---- companion files ----------------------------------------------------------------------------------------

    private static int padId(JsonNode tokenizer) {
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.has("[PAD]")) {
            return vocab.get("[PAD]").asInt();
        }
        JsonNode padding = tokenizer.path("padding");
        return padding.has("pad_id") ? padding.get("pad_id").asInt() : 0;
    }

    /** vocab.txt, tokenizer_config.json and special_tokens_map.json, as transformers' BertTokenizer saves them. */
    private static void writeTokenizerCompanions(Path dir, JsonNode tokenizer, BertConfig config, List<String> files,
                                                 List<String> notes) throws IOException {
        JsonNode model = tokenizer.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            notes.add("tokenizer.json model is '" + model.path("type").asText() + "', not WordPiece: no vocab.txt written");
            return;
        }
        JsonNode vocab = model.path("vocab");
        String[] byId = new String[vocab.size()];
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw new ConversionException("tokenizer.json: vocabulary ids are not 0.." + (byId.length - 1)
                        + " without gaps (token '" + e.getKey() + "' has id " + e.getValue() + ")");
            }
            byId[id] = e.getKey();
        }
        if (byId.length != config.vocabSize()) {
            notes.add("tokenizer vocabulary has " + byId.length + " tokens, the embeddings " + config.vocabSize());
        }
        Files.writeString(dir.resolve("vocab.txt"), String.join("\n", byId) + "\n", StandardCharsets.UTF_8);
        files.add("vocab.txt");

        Map<String, Object> special = new LinkedHashMap<>();
        for (String[] kv : new String[][] {{"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}, {"pad_token", "[PAD]"},
                {"sep_token", "[SEP]"}, {"unk_token", "[UNK]"}}) {
            if (vocab.has(kv[1])) {
                special.put(kv[0], kv[1]);
            }
        }
        writeJson(dir, "special_tokens_map.json", special, files);

        JsonNode normalizer = tokenizer.path("normalizer");
        Map<String, Object> tc = new LinkedHashMap<>();
        tc.put("clean_up_tokenization_spaces", true);
        tc.putAll(special);
        tc.put("do_basic_tokenize", true);
        tc.put("do_lower_case", normalizer.path("lowercase").asBoolean(true));
        tc.put("model_max_length", config.maxPositions());
        tc.put("never_split", null);
        JsonNode strip = normalizer.path("strip_accents");
        tc.put("strip_accents", strip.isBoolean() ? strip.asBoolean() : null);
        tc.put("tokenize_chinese_chars", normalizer.path("handle_chinese_chars").asBoolean(true));
        tc.put("tokenizer_class", "BertTokenizer");
        writeJson(dir, "tokenizer_config.json", tc, files);
    }

    /** modules.json, sentence_bert_config.json and 1_Pooling/config.json as sentence-transformers writes them. */
    private static void writeSentenceTransformer(Path dir, SentenceTransformerSettings st, BertConfig config,
                                                 List<String> files, List<String> notes) throws IOException {
        int maxSeq = st.maxSeqLength();
        if (maxSeq > config.maxPositions()) {
            notes.add("max_seq_length " + maxSeq + " capped to the model's " + config.maxPositions() + " positions");
            maxSeq = config.maxPositions();
        }
        List<Map<String, Object>> modules = new ArrayList<>();
        modules.add(module(0, "", "sentence_transformers.models.Transformer"));
        modules.add(module(1, "1_Pooling", "sentence_transformers.models.Pooling"));
        if (st.normalize()) {
            modules.add(module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
        }
        writeJson(dir, "modules.json", modules, files);

        Map<String, Object> sbert = new LinkedHashMap<>();
        sbert.put("max_seq_length", maxSeq);
        sbert.put("do_lower_case", false);
        writeJson(dir, "sentence_bert_config.json", sbert, files);

        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", config.hiddenSize());
        pooling.put("pooling_mode_cls_token", st.pooling() == SentenceTransformerSettings.Pooling.CLS);
        pooling.put("pooling_mode_mean_tokens", st.pooling() == SentenceTransformerSettings.Pooling.MEAN);
        pooling.put("pooling_mode_max_tokens", st.pooling() == SentenceTransformerSettings.Pooling.MAX);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        pooling.put("pooling_mode_weightedmean_tokens", false);
        pooling.put("pooling_mode_lasttoken", false);
        pooling.put("include_prompt", true);
        Files.createDirectories(dir.resolve("1_Pooling"));
        writeJson(dir, "1_Pooling/config.json", pooling, files);
    }

    private static Map<String, Object> module(int idx, String path, String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idx", idx);
        m.put("name", Integer.toString(idx));
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    private static void writeJson(Path dir, String name, Object value, List<String> files) throws IOException {
        Files.writeString(dir.resolve(name), JSON.writeValueAsString(value) + "\n", StandardCharsets.UTF_8);
        files.add(name);
    }

    // ---- atomic placement ---------------------------------------------------------------------------------------

    /**
     * Renames the finished temp folder to {@code out}. An empty {@code out} is replaced by the rename itself; a full
     * one only when allowed, by moving it aside first (so {@code out} is never a mix of old and new files).
     */
    private static void moveIntoPlace(Path tmp, Path out, boolean replace) throws IOException {
        try {
            atomicMove(tmp, out);
            return;
        } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
            if (!replace) {
                throw new FileAlreadyExistsException(out + ": output folder exists and is not empty"
                        + " (choose another folder, or replace it explicitly)");
            }
        }
        Path old = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".old-");
        Files.delete(old);
        atomicMove(out, old);
        try {
            atomicMove(tmp, out);
        } catch (IOException e) {
            atomicMove(old, out); // put the previous folder back
            throw e;
        }
        deleteRecursively(old);
    }

    private static void atomicMove(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically (different file systems?)", e);
        } catch (java.nio.file.FileSystemException e) {
            if (Files.isDirectory(to) && !(e instanceof NoSuchFileException)) {
                throw new DirectoryNotEmptyException(to.toString());
            }
            throw e;
        }
    }

    static boolean isEmptyDirectory(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String sha256(ByteBuffer bytes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
