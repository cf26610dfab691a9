package dev.bicross.bench.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * all-MiniLM-L6-v2 through ONNX Runtime FP32 on the ONNX file that Maven Central ships in the langchain4j jar, with
 * sentence-transformers' pooling done here in double precision: mean over the real tokens, then L2 normalisation.
 * The oracle of the evaluation cross-check; it shares nothing with bicross' engine. Not thread-safe.
 */
final class OrtSentenceEmbedder implements AutoCloseable {

    /** Classpath location of the ONNX graph inside the langchain4j jar. */
    static final String ONNX_RESOURCE = "/all-minilm-l6-v2.onnx";
    /** Classpath location of the matching tokenizer.json inside the same jar. */
    static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    /** Sequences per ORT call; inputs are sorted by length first so padding stays small. */
    private static final int BATCH = 16;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtSentenceEmbedder(int threads) throws IOException, OrtException {
        byte[] model;
        try (InputStream in = OrtSentenceEmbedder.class.getResourceAsStream(ONNX_RESOURCE)) {
            if (in == null) {
                throw new IOException(ONNX_RESOURCE + " is not on the class path (the langchain4j-embeddings-"
                        + "all-minilm-l6-v2 jar is a dependency of benchmarks/)");
            }
            model = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        // Spinning worker threads starve everything else on a shared, oversubscribed machine.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        session = env.createSession(model, options);
    }

    /**
     * Embeds token id sequences ([CLS] … [SEP], already truncated); result i belongs to input i.
     *
     * @param done told the number of sequences finished after every batch
     */
    double[][] embed(List<int[]> sequences, IntConsumer done) throws OrtException {
        Integer[] order = new Integer[sequences.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> sequences.get(i).length));
        double[][] out = new double[sequences.size()][];
        for (int from = 0; from < order.length; from += BATCH) {
            int to = Math.min(order.length, from + BATCH);
            int width = sequences.get(order[to - 1]).length;
            long[][] ids = new long[to - from][width];
            long[][] mask = new long[to - from][width];
            long[][] types = new long[to - from][width];
            for (int b = 0; b < to - from; b++) {
                int[] seq = sequences.get(order[from + b]);
                for (int t = 0; t < seq.length; t++) {
                    ids[b][t] = seq[t];
                    mask[b][t] = 1;
                }
            }
            float[][][] hidden = run(ids, mask, types);
            for (int b = 0; b < to - from; b++) {
                out[order[from + b]] = meanPoolNormalized(hidden[b], sequences.get(order[from + b]).length);
            }
            done.accept(to);
        }
        return out;
    }

    private float[][][] run(long[][] ids, long[][] mask, long[][] types) throws OrtException {
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
        }
    }

    /** Mean of the first {@code length} token vectors (the unpadded ones), L2-normalised, all in double. */
    static double[] meanPoolNormalized(float[][] tokens, int length) {
        int dim = tokens[0].length;
        double[] mean = new double[dim];
        for (int t = 0; t < length; t++) {
            for (int j = 0; j < dim; j++) {
                mean[j] += tokens[t][j];
            }
        }
        double norm = 0;
        for (int j = 0; j < dim; j++) {
            mean[j] /= length;
            norm += mean[j] * mean[j];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12); // sentence-transformers' Normalize clamps the same way
        for (int j = 0; j < dim; j++) {
            mean[j] /= norm;
        }
        return mean;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
