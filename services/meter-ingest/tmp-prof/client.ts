import { Wallet } from 'ethers';
import { formatInstant } from '@gridledger/domain';
import { signJsonBody } from '@gridledger/metering';
const url = process.env.URL!;
const METERS = 100000;
const meterId = (i: number) => `DE-MELO-${i.toString().padStart(8, '0')}`;
async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const t = await r.text(); if (r.status >= 300) throw new Error(t.slice(0, 300)); return JSON.parse(t);
}
async function main() {
  const mpo = new Wallet(Wallet.createRandom().privateKey);
  for (let f = 0; f < METERS; f += 10000) {
    const meters = [];
    for (let i = f; i < f + 10000; i++) meters.push({ meterId: meterId(i), direction: 'consumption', mpo: mpo.address, dso: mpo.address, groupId: `BG-${i % 20}`, supplier: null, connectionLimitW: '30000', validFrom: '2026-01-01T00:00:00Z' });
    await post('/meters', JSON.stringify({ meters }), { authorization: 'Bearer bench-operator-token-0123456789' });
  }
  const bodies: string[] = [];
  for (let n = 0; n < 40; n++) {
    const periodId = formatInstant(Date.parse('2026-03-01T00:00:00Z') + Math.floor(n / 10) * 900000);
    const intervals = [];
    for (let j = 0; j < 10000; j++) intervals.push({ meterId: meterId((n % 10) * 10000 + j), periodId, energyWh: String(100 + j), quality: 'measured' });
    bodies.push(JSON.stringify(await signJsonBody(mpo, 'readings-json', { mpo: mpo.address, intervals })));
  }
  const s = Date.now(); let next = 0;
  await Promise.all([0, 1].map(async () => { for (;;) { const n = next++; if (n >= bodies.length) return; await post('/readings', bodies[n]); } }));
  console.log('values/s (accept only)', Math.round(400000 / ((Date.now() - s) / 1000)));
}
void main();
