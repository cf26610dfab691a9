package dev.bicross.convert.onnx;

import java.util.List;
import java.util.Map;

/**
 * An ONNX {@code NodeProto}: one operator application. Inputs and outputs are value names; an empty input name
 * means an omitted optional input. Immutable.
 *
 * @param name       node name (may be empty)
 * @param opType     operator, e.g. {@code MatMul}
 * @param domain     operator domain (empty for the default ONNX domain)
 * @param inputs     input value names, in operator order
 * @param outputs    output value names
 * @param attributes attributes by name
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    /** The named attribute, or null. */
    public OnnxAttribute attribute(String attributeName) {
        return attributes.get(attributeName);
    }

    /** A short description for error messages: op type and name. */
    public String describe() {
        return opType + (name.isEmpty() ? "" : " '" + name + "'");
    }
}
