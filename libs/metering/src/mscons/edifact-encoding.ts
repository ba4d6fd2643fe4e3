import { MsconsError } from './mscons.error';

const UTF8_LEVELS = new Set(['UNOW', 'UNOY']);
const PROBE_BYTES = 1_024;

/**
 * Bytes of an uploaded interchange to text, by the character set its UNB names (S001.0001):
 * UNOW and UNOY are UTF-8 and must be valid UTF-8; every other level (UNOA/UNOB ASCII, UNOC
 * Latin-1, UNOD…) is read byte for byte as Latin-1, which cannot fail and keeps every
 * separator, digit and id (all ASCII) intact. A UTF-8 byte-order mark also means UTF-8.
 */
export function decodeInterchangeBytes(bytes: Uint8Array): string {
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const probe = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PROBE_BYTES)).toString('latin1');
  const unb = probe.indexOf('UNB');
  const level = unb >= 0 ? probe.slice(unb + 4, unb + 8) : '';
  if (!hasBom && !UTF8_LEVELS.has(level)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new MsconsError('MALFORMED_ENCODING', null, 'UNB S001.0001 (syntax identifier)', `the interchange declares ${level || 'UTF-8'} but its bytes are not valid UTF-8`);
  }
}
