/**
 * Bytes of a feed → text. The charset comes from the Content-Type header, else from the XML
 * declaration, else UTF-8 (JSON Feed and most XML feeds). A label TextDecoder does not know
 * falls back to UTF-8 rather than failing the feed.
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType?: string | null): string {
  const fromHeader = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const fromDeclaration = /^(?:\uFEFF|\xEF\xBB\xBF)?<\?xml[^>]*\sencoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  for (const label of [fromHeader, fromDeclaration, 'utf-8']) {
    if (!label) continue;
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // an unknown label: try the next source
    }
  }
  return new TextDecoder().decode(bytes);
}
