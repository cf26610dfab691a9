/**
 * The numeric kernels of the encoder: {@link dev.bicross.engine.kernel.Kernels} (linear layers with fused
 * bias + GELU/tanh, residual + layer norm, packed multi-head attention on a head-major Q/K/V projection, so that
 * each head reads contiguous runs) in two implementations.
 *
 * <ul>
 *   <li>{@link dev.bicross.engine.kernel.ScalarKernels}: plain loops, double accumulation; the readable reference,
 *       the test oracle, and the fallback without the Vector API.</li>
 *   <li>{@link dev.bicross.engine.kernel.VectorKernels}: JDK Vector API; a register-blocked GEMM on weights packed
 *       once at load, parallel on a persistent worker pool.</li>
 * </ul>
 *
 * <p>{@link dev.bicross.engine.kernel.Kernels#create()} picks one per process from system properties
 * ({@code bicross.kernels}, {@code bicross.threads}, {@code bicross.vectorBits}) and logs the choice once.
 * Every vector kernel is diffed against its scalar twin in {@code VectorKernelsDifferentialTest}; speed is
 * measured in {@code benchmarks/} ({@code GemmBenchmark}, {@code FmaPeakBenchmark}, {@code GemmCpuTimeProbe}).
 */
package dev.bicross.engine.kernel;
