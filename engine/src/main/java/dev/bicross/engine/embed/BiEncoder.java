package dev.bicross.engine.embed;

import dev.bicross.engine.bert.BertModel;
import dev.bicross.engine.bert.PackedBatch;
import dev.bicross.engine.kernel.Kernels;
import dev.bicross.engine.kernel.Precision;
import dev.bicross.engine.model.ModelName;
import dev.bicross.tokenizer.BertTokenizer;
import dev.bicross.tokenizer.Encoding;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A sentence-transformers style bi-encoder: tokenizer → BERT → pooling → optional L2 normalisation. Loads a
 * Hugging Face model folder (e.g. all-MiniLM-L6-v2) and reads its sentence-transformers files for pooling,
 * normalisation and max_seq_length.
 *
 * <p>Thread-safe: any number of threads may encode at once.
 */
public final class BiEncoder {

    /** Batch size used by {@link #encode(List)}: large enough to fill the GEMMs, small enough to bound memory. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final String modelName;
    private final BertTokenizer tokenizer;
    private final BertModel model;
    private final EncoderSettings settings;

    /** Assembles a bi-encoder from loaded parts. */
    public BiEncoder(String modelName, BertTokenizer tokenizer, BertModel model, EncoderSettings settings) {
        if (settings.maxSeqLength() > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("maxSeqLength " + settings.maxSeqLength()
                    + " exceeds the model's max_position_embeddings " + model.config().maxPositionEmbeddings());
        }
        this.modelName = modelName;
        this.tokenizer = tokenizer;
        this.model = model;
        this.settings = settings;
    }

    /** Loads a model folder with its own settings and the process-wide {@link Kernels#create() kernels}. */
    public static BiEncoder load(Path modelDir) throws IOException {
        return load(modelDir, Kernels.create());
    }

    /** Loads a model folder with its own settings on the given kernels. */
    public static BiEncoder load(Path modelDir, Kernels kernels) throws IOException {
        BertModel model = BertModel.load(modelDir, kernels);
        EncoderSettings settings = EncoderSettings.read(modelDir, model.config());
        return new BiEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), model, settings);
    }

    /**
     * Loads a model folder with its own settings and the encoder's linear layers at {@code precision}, on the
     * process-wide kernels. {@link Precision#INT8} vectors differ slightly from FP32 ones, so the
     * {@link #fingerprint()} records the precision and an index refuses to mix them.
     */
    public static BiEncoder load(Path modelDir, Precision precision) throws IOException {
        return load(modelDir, Kernels.create(), precision);
    }

    /** Loads a model folder with its own settings on the given kernels, linear layers at {@code precision}. */
    public static BiEncoder load(Path modelDir, Kernels kernels, Precision precision) throws IOException {
        BertModel model = BertModel.load(modelDir, kernels, precision);
        EncoderSettings settings = EncoderSettings.read(modelDir, model.config());
        return new BiEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), model, settings);
    }

    /** Loads a model folder with explicit settings (e.g. another pooling), ignoring its sentence-transformers files. */
    public static BiEncoder load(Path modelDir, Kernels kernels, EncoderSettings settings) throws IOException {
        return new BiEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), BertModel.load(modelDir, kernels),
                settings);
    }

    /** Encodes one text. Empty and whitespace-only texts encode as [CLS] [SEP]. */
    public float[] encode(String text) {
        return encodeDetailed(text).vector();
    }

    /** Encodes texts in batches of {@link #DEFAULT_BATCH_SIZE}; results in input order. */
    public List<float[]> encode(List<String> texts) {
        return encode(texts, DEFAULT_BATCH_SIZE);
    }

    /** Encodes texts in batches of {@code batchSize}; results in input order. */
    public List<float[]> encode(List<String> texts, int batchSize) {
        return encodeDetailed(texts, batchSize).stream().map(Embedding::vector).toList();
    }

    /** Encodes one text and reports its token count and whether it was truncated. */
    public Embedding encodeDetailed(String text) {
        return encodeDetailed(List.of(text), 1).getFirst();
    }

    /**
     * Encodes texts with their token counts and truncation flags. Texts are sorted by length so each batch packs
     * sequences of similar size, then the results are put back in input order.
     */
    public List<Embedding> encodeDetailed(List<String> texts, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        Embedding[] results = new Embedding[texts.size()];
        // Tokenize and sort a window of batches at a time: enough to group similar lengths, and the token arrays
        // of a huge list (100,000 texts) never all live at once.
        int window = (int) Math.min(Integer.MAX_VALUE, (long) batchSize * SORT_WINDOW_BATCHES);
        for (int from = 0; from < texts.size(); from += window) {
            encodeWindow(texts, from, (int) Math.min(texts.size(), (long) from + window), batchSize, results);
        }
        return Arrays.asList(results);
    }

    /** Batches tokenized and length-sorted together by {@link #encodeDetailed(List, int)}. */
    static final int SORT_WINDOW_BATCHES = 64;

    private void encodeWindow(List<String> texts, int from, int to, int batchSize, Embedding[] results) {
        List<Encoding> encodings = new ArrayList<>(to - from);
        for (String text : texts.subList(from, to)) {
            encodings.add(tokenizer.encode(text, settings.maxSeqLength()));
        }
        Integer[] order = new Integer[to - from];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> encodings.get(i).length()));
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<Encoding> batch = new ArrayList<>(end - start);
            for (int k = start; k < end; k++) {
                batch.add(encodings.get(order[k]));
            }
            Embedding[] embedded = embedBatch(batch);
            for (int k = start; k < end; k++) {
                results[from + order[k]] = embedded[k - start];
            }
        }
    }

    private Embedding[] embedBatch(List<Encoding> batch) {
        PackedBatch packed = PackedBatch.of(batch);
        int dim = dimension();
        // [CLS] pooling needs the first rows only: the model computes its last layer for those alone
        boolean cls = settings.pooling() == Pooling.CLS;
        float[] hidden = cls ? model.forwardFirstTokens(packed) : model.forward(packed); // (B, H) or (T, H)
        Embedding[] out = new Embedding[batch.size()];
        for (int s = 0; s < batch.size(); s++) {
            float[] vector = new float[dim];
            if (cls) {
                System.arraycopy(hidden, s * dim, vector, 0, dim);
            } else {
                settings.pooling().pool(hidden, packed.seqOffsets()[s], packed.length(s), dim, vector);
            }
            if (settings.normalize()) {
                Pooling.l2Normalize(vector);
            }
            out[s] = new Embedding(vector, packed.length(s), batch.get(s).truncated());
        }
        return out;
    }

    /**
     * The token vectors of the last layer for one text, before pooling: (tokens, hidden) row-major. For tests and
     * for readers who want to see inside.
     */
    public float[] lastHiddenState(String text) {
        return model.forward(PackedBatch.of(List.of(tokenizer.encode(text, settings.maxSeqLength()))));
    }

    /** Vector dimension (the model's hidden size). */
    public int dimension() {
        return model.config().hiddenSize();
    }

    /** The model's readable name. */
    public String modelName() {
        return modelName;
    }

    /** Identity of the model for indexes: weights hash, dimension and precision. */
    public ModelFingerprint fingerprint() {
        return new ModelFingerprint(modelName, model.weightsSha256(), dimension(), model.precision());
    }

    /** Pooling, normalisation and max_seq_length in use. */
    public EncoderSettings settings() {
        return settings;
    }

    /** The tokenizer. */
    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    /** The underlying encoder. */
    public BertModel model() {
        return model;
    }
}
