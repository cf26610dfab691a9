package dev.bicross.engine.kernel;

/**
 * A linear layer's weight matrix W, of shape (out × in) as in PyTorch's {@code nn.Linear.weight}, repacked once
 * at load time into whatever layout the {@link Kernels} implementation that made it wants. Immutable.
 */
public interface PackedWeights {

    /** Number of output features (rows of W). */
    int out();

    /** Number of input features (columns of W). */
    int in();
}
