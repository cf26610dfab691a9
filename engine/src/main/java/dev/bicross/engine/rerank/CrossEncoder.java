package dev.bicross.engine.rerank;

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
 * A cross-encoder re-ranker: reads a query and a document together ({@code [CLS] q [SEP] d [SEP]}, segment ids
 * 0 then 1) through BERT and scores the pair with the sequence-classification head
 * (classifier(tanh(pooler(h[CLS])))). Far more precise than comparing two bi-encoder vectors, and far more
 * expensive: it runs the whole model once per pair, so use it to re-rank a small candidate set, not a corpus.
 *
 * <p>Thread-safe: any number of threads may score at once.
 */
public final class CrossEncoder {

    /** Pairs per forward pass. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final String modelName;
    private final BertTokenizer tokenizer;
    private final BertModel model;
    private final CrossEncoderSettings settings;

    /** Assembles a cross-encoder from loaded parts; the model must have a classification head. */
    public CrossEncoder(String modelName, BertTokenizer tokenizer, BertModel model, CrossEncoderSettings settings) {
        if (!model.config().isSequenceClassifier()) {
            throw new IllegalArgumentException("model '" + modelName + "' has no classification head "
                    + model.config().architectures() + ": a cross-encoder needs BertForSequenceClassification");
        }
        if (settings.maxLength() > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("maxLength " + settings.maxLength()
                    + " exceeds the model's max_position_embeddings " + model.config().maxPositionEmbeddings());
        }
        this.modelName = modelName;
        this.tokenizer = tokenizer;
        this.model = model;
        this.settings = settings;
    }

    /** Loads a {@code BertForSequenceClassification} model folder with the settings it declares. */
    public static CrossEncoder load(Path modelDir) throws IOException {
        return load(modelDir, Kernels.create());
    }

    /** Loads a model folder on the given kernels. */
    public static CrossEncoder load(Path modelDir, Kernels kernels) throws IOException {
        BertModel model = BertModel.load(modelDir, kernels);
        CrossEncoderSettings settings = CrossEncoderSettings.read(modelDir, model.config());
        return new CrossEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), model, settings);
    }

    /**
     * Loads a model folder with the settings it declares and the encoder's linear layers at {@code precision} on
     * the process-wide kernels (the classifier head stays FP32).
     */
    public static CrossEncoder load(Path modelDir, Precision precision) throws IOException {
        BertModel model = BertModel.load(modelDir, Kernels.create(), precision);
        CrossEncoderSettings settings = CrossEncoderSettings.read(modelDir, model.config());
        return new CrossEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), model, settings);
    }

    /** Loads a model folder with explicit settings. */
    public static CrossEncoder load(Path modelDir, Kernels kernels, CrossEncoderSettings settings) throws IOException {
        return new CrossEncoder(ModelName.of(modelDir), BertTokenizer.load(modelDir), BertModel.load(modelDir, kernels),
                settings);
    }

    /**
     * One score per pair, in input order, after the activation. Needs a single-label model (a relevance
     * re-ranker); use {@link #predictLabels} for several labels.
     */
    public float[] predict(List<TextPair> pairs) {
        return predict(pairs, DEFAULT_BATCH_SIZE);
    }

    /** As {@link #predict(List)} with an explicit batch size. */
    public float[] predict(List<TextPair> pairs, int batchSize) {
        if (numLabels() != 1) {
            throw new IllegalStateException("model '" + modelName + "' has " + numLabels()
                    + " labels; predict() returns one score per pair, use predictLabels()");
        }
        float[][] all = predictLabels(pairs, batchSize);
        float[] scores = new float[all.length];
        for (int i = 0; i < all.length; i++) {
            scores[i] = all[i][0];
        }
        return scores;
    }

    /** Per pair, the score of every label (pairs × labels), after the activation; input order. */
    public float[][] predictLabels(List<TextPair> pairs, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        float[][] scores = new float[pairs.size()][];
        // A window of batches is tokenized and sorted at a time, so a huge list never holds all its tokens at once.
        int window = (int) Math.min(Integer.MAX_VALUE, (long) batchSize * SORT_WINDOW_BATCHES);
        for (int from = 0; from < pairs.size(); from += window) {
            scoreWindow(pairs, from, (int) Math.min(pairs.size(), (long) from + window), batchSize, scores);
        }
        return scores;
    }

    /** Batches tokenized and length-sorted together by {@link #predictLabels}. */
    static final int SORT_WINDOW_BATCHES = 64;

    private void scoreWindow(List<TextPair> pairs, int from, int to, int batchSize, float[][] scores) {
        List<Encoding> encodings = new ArrayList<>(to - from);
        for (TextPair pair : pairs.subList(from, to)) {
            encodings.add(tokenizer.encodePair(pair.query(), pair.document(), settings.maxLength()));
        }
        // Sort by length so each packed batch holds pairs of similar size; results go back to input order.
        Integer[] order = new Integer[to - from];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> encodings.get(i).length()));
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<Encoding> batch = new ArrayList<>(end - start);
            for (int k = start; k < end; k++) {
                batch.add(encodings.get(order[k]));
            }
            float[][] logits = model.classify(PackedBatch.of(batch));                    // (B, labels)
            for (int k = start; k < end; k++) {
                float[] row = logits[k - start];
                settings.activation().apply(row);
                scores[from + order[k]] = row;
            }
        }
    }

    /**
     * Scores every document against the query and returns the best {@code topK}, highest score first; ties keep
     * input order. {@code withText} puts each document's text in its result.
     */
    public List<RankedDocument> rank(String query, List<String> documents, int topK, boolean withText) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, got " + topK);
        }
        List<TextPair> pairs = new ArrayList<>(documents.size());
        for (String document : documents) {
            pairs.add(new TextPair(query, document));
        }
        float[] scores = predict(pairs);
        Integer[] order = new Integer[documents.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        List<RankedDocument> ranked = new ArrayList<>(Math.min(topK, order.length));
        for (int r = 0; r < Math.min(topK, order.length); r++) {
            int i = order[r];
            ranked.add(new RankedDocument(i, scores[i], withText ? documents.get(i) : null));
        }
        return ranked;
    }

    /** {@link #rank(String, List, int, boolean)} with texts. */
    public List<RankedDocument> rank(String query, List<String> documents, int topK) {
        return rank(query, documents, topK, true);
    }

    /** Number of labels of the classification head (1 for relevance re-rankers). */
    public int numLabels() {
        return model.config().numLabels();
    }

    /** The model's readable name. */
    public String modelName() {
        return modelName;
    }

    /** Activation and max length in use. */
    public CrossEncoderSettings settings() {
        return settings;
    }

    /** The tokenizer. */
    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    /** The underlying encoder with its classification head. */
    public BertModel model() {
        return model;
    }
}
