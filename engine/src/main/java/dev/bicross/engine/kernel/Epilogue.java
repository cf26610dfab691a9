package dev.bicross.engine.kernel;

/** What {@link Kernels#linear} applies to each output element after adding the bias. */
public enum Epilogue {
    /** y = xWᵀ + b */
    NONE,
    /** y = GELU(xWᵀ + b), exact erf form: 0.5·z·(1 + erf(z/√2)) */
    GELU,
    /** y = tanh(xWᵀ + b), the BERT pooler */
    TANH
}
