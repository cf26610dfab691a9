package dev.bicross.convert;

import java.io.IOException;

/**
 * The input is readable but cannot become a Hugging Face model folder: an unsupported operator or quantization, a
 * weight whose name cannot be recovered, a missing or misshapen tensor. The message names the file and tensor.
 */
public final class ConversionException extends IOException {

    /** Creates the exception with a message naming the problem and the offending file/tensor. */
    public ConversionException(String message) {
        super(message);
    }
}
