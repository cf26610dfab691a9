/**
 * Model resolution: a model id ({@code org/name[@revision]}) or a local folder becomes a local Hugging Face model
 * folder. Looks in the Hugging Face cache first (the layout Python's {@code huggingface_hub} reads and writes:
 * {@code models--org--name/{blobs,refs,snapshots}}), then downloads from the Hub with verified, resumable,
 * atomic writes. Entry point: {@link dev.bicross.engine.hub.ModelResolver}.
 */
package dev.bicross.engine.hub;
