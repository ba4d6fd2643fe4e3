import { DomainError } from '@gridledger/domain';
import { decodeUtf8 } from '../src/intake/json-submission';

describe('decodeUtf8', () => {
  it('takes ASCII as it is and multi-byte UTF-8 through the decoder', () => {
    expect(decodeUtf8(Buffer.from('{"meterId":"DE-1"}'))).toBe('{"meterId":"DE-1"}');
    expect(decodeUtf8(Buffer.from('{"note":"Zählerstand €"}', 'utf8'))).toBe('{"note":"Zählerstand €"}');
  });

  it('refuses broken UTF-8 and names the field', () => {
    for (const bytes of [Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), Buffer.from([0xff]), Buffer.from([0x61, 0xe2, 0x82])]) {
      let refused: unknown;
      try {
        decodeUtf8(bytes, 'mscons');
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ code: 'MALFORMED_BODY', field: 'mscons' });
    }
  });
});
