package dev.bicross.cli;

import dev.bicross.engine.kernel.Precision;
import picocli.CommandLine.Option;

/** {@code --precision fp32|int8}: the precision of the encoders' linear layers, shared by the model commands. */
final class PrecisionOption {

    @Option(names = "--precision", paramLabel = "fp32|int8",
            description = {"Linear layers in fp32 (default, exact) or int8 (weights quantized per output channel at "
                    + "load: a quarter of the weight memory, embeddings within cosine 0.99 of fp32)."})
    String value;

    /** The requested precision, or {@code fallback} when the option is absent. */
    Precision orElse(Precision fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Precision.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision: " + e.getMessage(), e);
        }
    }

    /** The requested precision, FP32 by default. */
    Precision get() {
        return orElse(Precision.FP32);
    }
}
