package dev.bicross.engine.rerank;

import dev.bicross.engine.ModelFormatException;

/**
 * What a cross-encoder applies to its logits, as sentence-transformers' {@code CrossEncoder} does. MS MARCO
 * re-rankers declare {@code Identity} (raw logits); models that declare nothing get {@link #SIGMOID} with one label
 * and {@link #IDENTITY} with several (sentence-transformers' default).
 */
public enum ScoreActivation {
    /** Raw logits. */
    IDENTITY,
    /** 1 / (1 + e^-x), per label. */
    SIGMOID,
    /** Softmax over the labels of each pair (needs more than one label to mean anything). */
    SOFTMAX;

    /** Maps a PyTorch class path such as {@code torch.nn.modules.linear.Identity}. */
    static ScoreActivation fromTorchClass(String className, String source) throws ModelFormatException {
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return switch (simple) {
            case "Identity" -> IDENTITY;
            case "Sigmoid" -> SIGMOID;
            case "Softmax" -> SOFTMAX;
            default -> throw new ModelFormatException(source + ": unsupported cross-encoder activation '" + className
                    + "' (bicross supports Identity, Sigmoid and Softmax)");
        };
    }

    /** Applies the activation to one pair's logits, in place. */
    void apply(float[] logits) {
        switch (this) {
            case IDENTITY -> { }
            case SIGMOID -> {
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) (1 / (1 + Math.exp(-logits[i])));
                }
            }
            case SOFTMAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (float v : logits) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                double[] e = new double[logits.length];
                for (int i = 0; i < logits.length; i++) {
                    e[i] = Math.exp(logits[i] - max);
                    sum += e[i];
                }
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) (e[i] / sum);
                }
            }
        }
    }
}
