/**
 * BERT WordPiece tokenization, exact against Hugging Face tokenizers: {@link dev.bicross.tokenizer.BertTokenizer}
 * reads a {@code tokenizer.json} (or {@code vocab.txt}) and turns texts and text pairs into
 * {@link dev.bicross.tokenizer.Encoding}s with ids, type ids, attention mask and offsets into the original text.
 * Depends on jackson-databind only.
 */
package dev.bicross.tokenizer;
