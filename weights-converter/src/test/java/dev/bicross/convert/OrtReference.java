package dev.bicross.convert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime FP32 on the all-MiniLM-L6-v2 ONNX file: the oracle of the parity test. Runs one sequence at a time
 * (no padding, so nothing depends on ONNX Runtime's masking) and pools in double precision.
 */
final class OrtReference implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(Path onnx) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(2);
        options.setInterOpNumThreads(1);
        session = env.createSession(onnx.toString(), options);
    }

    /** last_hidden_state of one sequence: [token][feature]. */
    float[][] lastHiddenState(int[] ids) throws OrtException {
        long[][] inputIds = new long[1][ids.length];
        long[][] mask = new long[1][ids.length];
        long[][] types = new long[1][ids.length];
        for (int i = 0; i < ids.length; i++) {
            inputIds[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            return ((float[][][]) result.get("last_hidden_state").orElseThrow().getValue())[0];
        }
    }

    /** Mean over tokens, then L2 normalisation: sentence-transformers' all-MiniLM-L6-v2 pipeline. */
    float[] embedding(int[] ids) throws OrtException {
        float[][] hidden = lastHiddenState(ids);
        int dim = hidden[0].length;
        double[] mean = new double[dim];
        for (float[] token : hidden) {
            for (int j = 0; j < dim; j++) {
                mean[j] += token[j];
            }
        }
        double norm = 0;
        for (int j = 0; j < dim; j++) {
            mean[j] /= hidden.length;
            norm += mean[j] * mean[j];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        float[] out = new float[dim];
        for (int j = 0; j < dim; j++) {
            out[j] = (float) (mean[j] / norm);
        }
        return out;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
