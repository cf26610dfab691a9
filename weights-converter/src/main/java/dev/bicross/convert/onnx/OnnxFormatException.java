package dev.bicross.convert.onnx;

import java.io.IOException;

/** The bytes are not a well-formed ONNX model (truncated, not protobuf, or a field of the wrong kind). */
public final class OnnxFormatException extends IOException {

    /** Creates the exception; the message names the file and the offending position or field. */
    public OnnxFormatException(String message) {
        super(message);
    }
}
