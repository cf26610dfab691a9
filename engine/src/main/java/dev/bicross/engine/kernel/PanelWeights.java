package dev.bicross.engine.kernel;

/**
 * W (out × in) repacked for {@link VectorGemm}: Wᵀ cut into panels of {@code panelWidth} output columns; panel p
 * holds, for k = 0 … in−1, the {@code panelWidth} values W[p·panelWidth + c][k] side by side, so the micro-kernel
 * reads one contiguous run per k. Columns past {@code out} in the last panel are zero.
 */
record PanelWeights(float[] data, int out, int in, int panelWidth) implements VectorGemm.PanelSource {

    @Override
    public int panels() {
        return (out + panelWidth - 1) / panelWidth;
    }

    /** The panels are read in place. */
    @Override
    public float[] prepare(int q0, int q1, int k0, int kc) {
        return data;
    }

    @Override
    public int sliceOffset(int p, int q0, int k0, int kc) {
        return (p * in + k0) * panelWidth;
    }

    static PanelWeights pack(float[] weight, int out, int in, int panelWidth) {
        int panels = (out + panelWidth - 1) / panelWidth;
        float[] data = new float[Math.multiplyExact(Math.multiplyExact(panels, in), panelWidth)];
        for (int o = 0; o < out; o++) {
            int panel = o / panelWidth;
            int column = o % panelWidth;
            int base = panel * in * panelWidth + column;
            for (int k = 0; k < in; k++) {
                data[base + k * panelWidth] = weight[o * in + k];
            }
        }
        return new PanelWeights(data, out, in, panelWidth);
    }
}
