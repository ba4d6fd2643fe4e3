import { Wallet } from 'ethers';
import { SignerLog, formatSigners } from '../src/demo/signer-log';

describe("the demo's signer log", () => {
  it('lists each participant with its roles and acts, and sums up participants alike beyond the first three', () => {
    const log = new SignerLog();
    const dso = Wallet.createRandom().address;
    log.holds(dso, 'DSO', 'GA-DEMO', 'dso');
    log.signed(dso, 'meter registration (POST /meters)', 2);
    const holders = Array.from({ length: 10 }, () => Wallet.createRandom().address);
    for (const holder of holders) log.signed(holder, 'holder registration (POST /holders)');
    const lines = formatSigners(log.activities());
    expect(lines[0]).toMatch(/^who signed what/);
    expect(lines.join('\n')).toContain('DSO of GA-DEMO');
    expect(lines.join('\n')).toContain('2 × meter registration (POST /meters)');
    // The DSO and three holders in full (two lines each), then one line for the seven others.
    expect(lines).toHaveLength(1 + 2 + 3 * 2 + 1);
    expect(lines).toContain('  … and 7 more like these (no role), together: 7 × holder registration (POST /holders)');
  });
});
