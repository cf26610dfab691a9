package dev.bicross.convert;

import java.net.URI;
import java.net.URL;
import java.nio.file.Path;

/** Locates the langchain4j MiniLM jars (test dependencies) through the class path, wherever Maven keeps them. */
final class MavenJars {

    private MavenJars() {
    }

    static Path fp32() {
        return jarOf("/all-minilm-l6-v2.onnx");
    }

    static Path quantized() {
        return jarOf("/all-minilm-l6-v2-q.onnx");
    }

    private static Path jarOf(String resource) {
        URL url = MavenJars.class.getResource(resource);
        if (url == null || !url.getProtocol().equals("jar")) {
            throw new IllegalStateException(resource + " not found inside a jar on the test class path: " + url);
        }
        String spec = url.getPath(); // file:/.../x.jar!/all-minilm-l6-v2.onnx
        return Path.of(URI.create(spec.substring(0, spec.indexOf("!/"))));
    }
}
