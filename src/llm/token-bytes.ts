// Byte-level BPE decoding, shared by every tokenizer here (and free of any vocabulary table, so
// importing it loads none).

/** Join tokens' bytes and decode once, so a character split across tokens comes out whole. */
export function decodeTokenBytes(parts: readonly Uint8Array[]): string {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return new TextDecoder('utf-8').decode(bytes);
}
