package dev.bicross.engine.model;

import java.nio.file.Path;

/** The readable name of a model folder, as shown to users and recorded in indexes. */
public final class ModelName {

    private ModelName() {
    }

    /**
     * {@code org/name} for a Hugging Face cache snapshot ({@code models--org--name/snapshots/…}) or a folder named
     * {@code org--name} (bicross's own cache), else the folder's name.
     */
    public static String of(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        Path grandParent = parent == null ? null : parent.getParent();
        if (parent != null && grandParent != null && grandParent.getFileName() != null
                && parent.getFileName().toString().equals("snapshots")
                && grandParent.getFileName().toString().startsWith("models--")) {
            return grandParent.getFileName().toString().substring("models--".length()).replace("--", "/");
        }
        String name = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
        return name.contains("--") ? name.replace("--", "/") : name;
    }
}
