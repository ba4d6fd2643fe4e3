import { MsconsError } from './mscons.error';

/**
 * The service characters of an interchange (ISO 9735): either declared by a UNA service
 * string advice ("UNA:+.? '") or the defaults. The release character escapes the next
 * character; `null` means the interchange uses none (a space in UNA position 4).
 */
export interface ServiceCharacters {
  readonly componentSeparator: string;
  readonly dataSeparator: string;
  readonly decimalMark: ',' | '.';
  readonly releaseCharacter: string | null;
  readonly segmentTerminator: string;
}

export const DEFAULT_SERVICE_CHARACTERS: ServiceCharacters = {
  componentSeparator: ':',
  dataSeparator: '+',
  decimalMark: '.',
  releaseCharacter: '?',
  segmentTerminator: "'",
};

const UNA_LENGTH = 9;

/**
 * Reads the service characters at `start` (after an optional BOM and whitespace).
 * Returns the characters and where the first real segment begins.
 */
export function readServiceCharacters(text: string, start: number): { chars: ServiceCharacters; next: number } {
  if (!text.startsWith('UNA', start)) return { chars: DEFAULT_SERVICE_CHARACTERS, next: start };
  if (text.length < start + UNA_LENGTH) {
    throw new MsconsError('BAD_SERVICE_STRING_ADVICE', null, 'UNA', 'the service string advice needs six characters after "UNA"');
  }
  const component = text[start + 3];
  const data = text[start + 4];
  const decimal = text[start + 5];
  const release = text[start + 6];
  const terminator = text[start + 8];
  if (decimal !== ',' && decimal !== '.') {
    throw new MsconsError('BAD_SERVICE_STRING_ADVICE', null, 'UNA decimal mark', `must be "," or ".", not "${decimal}"`);
  }
  const separators = release === ' ' ? [component, data, terminator] : [component, data, release, terminator];
  for (const char of separators) {
    if (/[A-Za-z0-9 ]/.test(char) || char === decimal) {
      throw new MsconsError('BAD_SERVICE_STRING_ADVICE', null, 'UNA service characters', `"${char}" cannot be a separator (letters, digits, space and the decimal mark are data)`);
    }
  }
  if (new Set(separators).size !== separators.length) {
    throw new MsconsError('BAD_SERVICE_STRING_ADVICE', null, 'UNA service characters', 'separators, release character and segment terminator must all differ');
  }
  return {
    chars: {
      componentSeparator: component,
      dataSeparator: data,
      decimalMark: decimal,
      releaseCharacter: release === ' ' ? null : release,
      segmentTerminator: terminator,
    },
    next: start + UNA_LENGTH,
  };
}
