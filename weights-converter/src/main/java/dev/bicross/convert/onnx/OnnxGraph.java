package dev.bicross.convert.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX {@code GraphProto}: nodes in topological order, initializers (the weights) by name, and the names of the
 * graph inputs and outputs. Offers the two lookups graph walking needs: who produces a value, who consumes it.
 * Immutable.
 */
public final class OnnxGraph {

    private final String name;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    /** Creates the graph and indexes producers and consumers of every value. */
    public OnnxGraph(String name, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs,
                     List<String> outputs) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(initializers);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (OnnxNode n : this.nodes) {
            for (String out : n.outputs()) {
                producers.put(out, n);
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    public String name() {
        return name;
    }

    /** Nodes in the file's (topological) order. */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** The initializer with this name, or null. */
    public OnnxTensor initializer(String tensorName) {
        return initializers.get(tensorName);
    }

    /** Names of the graph inputs (may include initializer names in old exports). */
    public List<String> inputs() {
        return inputs;
    }

    /** Names of the graph outputs. */
    public List<String> outputs() {
        return outputs;
    }

    /** The node producing the value, or null for graph inputs and initializers. */
    public OnnxNode producer(String value) {
        return producers.get(value);
    }

    /** The nodes reading the value (empty if none). */
    public List<OnnxNode> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }
}
