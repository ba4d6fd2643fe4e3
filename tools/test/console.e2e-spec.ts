import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getAddress } from 'ethers';
import { chromium, type Page } from 'playwright-core';
import { connectMessaging } from '@gridledger/messaging';
import { buildConsoleWeb, startConsole } from '../src/demo/console-process';
import { runMarketDay, type OpenMarket } from '../src/demo/market-day';
import { startLocalStack } from '../src/stack';
import { defaultOptions, type MarketDayOptions } from '../src/demo/options';

/**
 * The web console in a real browser (Debian's chromium driven by playwright-core) beside a
 * small market day built the way the demo builds it, on free ports: the market page shows
 * finalized periods, a group-period shows its versions and chain anchor, an operator re-drives
 * a dead letter, and a meter owner's proof is verified in the browser against the contract.
 * Screenshots go to .stack/console/ (docs/console.png is one of them).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve(__dirname, '..', '..', '.stack', 'console');
const options: MarketDayOptions = { ...defaultOptions(Date.now()), meters: 40, groups: 2, periods: 3, seed: 'e2e-console', timeoutMs: 240_000 };

interface Seen {
  signedInAs: string;
  walletAddress: string;
  finalizedCells: number;
  groupPeriodState: string;
  chainAnchor: string;
  deadLettersBefore: number;
  redriveOutcome: string;
  operatorSession: string;
  checkValue: string;
  verdict: string;
  expectedKwh: string;
}

async function textOf(page: Page, testId: string): Promise<string> {
  const locator = page.getByTestId(testId);
  await locator.waitFor({ timeout: 60_000 });
  return (await locator.innerText()).trim();
}

async function deadLetterCount(url: string): Promise<number> {
  const ops = (await (await fetch(`${url}/api/operations`)).json()) as { deadLetters: unknown[] };
  return ops.deadLetters.length;
}

/** A message balancing cannot decode, on a subject it consumes: it dead-letters it. */
async function poisonIntervals(market: OpenMarket, groupId: string): Promise<void> {
  const messaging = await connectMessaging({ url: market.natsUrl, namespace: market.namespace, name: 'console-e2e', credentials: { user: 'operator', password: market.natsOperatorPassword } });
  try {
    await messaging.js.publish(messaging.subject(`meter.intervals.measured.${groupId}`), Buffer.from(JSON.stringify({ type: 'meter.intervals.measured', note: 'not an event' })));
  } finally {
    await messaging.close();
  }
}

async function inBrowser(market: OpenMarket): Promise<Seen> {
  const web = await startConsole(market);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    mkdirSync(SHOTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const cellCount = options.groups * options.periods;
    // A wallet for sign-in: window.ethereum forwards to the dev chain, whose unlocked account signs.
    await page.addInitScript(`window.ethereum = { request: async ({ method, params }) => {
      const answer = await fetch(${JSON.stringify(market.rpcUrl)}, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: method === 'eth_requestAccounts' ? 'eth_accounts' : method, params: params ?? [] }) });
      const reply = await answer.json();
      if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      return reply.result;
    } };`);
    const accounts = (await (await fetch(market.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts', params: [] }) })).json()) as { result: string[] };

    // The market day: every group-period finalized, as read from the streams.
    await page.goto(`${web.url}/#/`);
    await page.waitForFunction(`document.querySelectorAll('td[data-state="finalized"]').length === ${cellCount}`, undefined, { timeout: 60_000 });
    const finalizedCells = await page.locator('td[data-state="finalized"]').count();
    await page.screenshot({ path: join(SHOTS, 'market-day.png'), fullPage: true });

    // Sign in with Ethereum: the session the browser builds passes the services' own verifier (on /api/session).
    await page.getByTestId('sign-in').click();
    const signedInAs = await textOf(page, 'session');

    // A group-period: its versions from balancing and its chain anchor from chain-bridge.
    await page.locator('td[data-state="finalized"] a').first().click();
    const groupPeriodState = await textOf(page, 'group-period-state');
    const chainAnchor = await textOf(page, 'chain-v1');
    await page.screenshot({ path: join(SHOTS, 'group-period.png'), fullPage: true });

    await page.goto(`${web.url}/#/chart`);
    await page.locator('[data-testid="energy-chart"] svg').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'chart.png'), fullPage: true });

    // Operations: a dead letter, re-driven by the market operator: the signed-in wallet (the dev
    // node's first account) holds MARKET_OPERATOR, and its session authorizes the re-drive.
    await poisonIntervals(market, market.summary.proof.groupId);
    const deadline = Date.now() + 60_000;
    while ((await deadLetterCount(web.url)) === 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 500));
    const deadLettersBefore = await deadLetterCount(web.url);
    await page.goto(`${web.url}/#/operations`);
    const operatorSession = await textOf(page, 'operator-session');
    const firstLetter = page.locator('tr[data-dead-letter]').first();
    await firstLetter.waitFor({ timeout: 30_000 });
    await firstLetter.getByRole('button', { name: 're-drive' }).click();
    const redriveOutcome = await textOf(page, 'redrive-outcome');
    await page.screenshot({ path: join(SHOTS, 'operations.png'), fullPage: true });

    // The meter owner's check, verified in the browser through the chain RPC.
    const proof = market.summary.proof;
    await page.goto(`${web.url}/#/check`);
    await page.getByTestId('check-meter').fill(proof.meterId);
    await page.getByTestId('check-period').fill(proof.periodId);
    // The owner names its group (the registry lookup needs a session of the meter's MPO, supplier or DSO).
    await page.getByTestId('check-group').fill(proof.groupId);
    // The contract address comes from /api/config (the owner may type another one).
    await page.waitForFunction(`document.querySelector('input[placeholder="SettlementCascade address"]')?.value.startsWith('0x') === true`, undefined, { timeout: 10_000 });
    await page.getByTestId('check-submit').click();
    const verdict = await textOf(page, 'check-verdict');
    const checkValue = await textOf(page, 'check-value');
    await page.screenshot({ path: join(SHOTS, 'meter-check.png'), fullPage: true });
    const wh = BigInt(proof.energyWh);
    return { signedInAs, walletAddress: getAddress(accounts.result[0]), finalizedCells, groupPeriodState, chainAnchor, deadLettersBefore, redriveOutcome, operatorSession, checkValue, verdict, expectedKwh: `${(wh / 1000n).toLocaleString('en')}.${(wh % 1000n).toString().padStart(3, '0')}` };
  } finally {
    await browser.close();
    await web.process.stop(10_000);
  }
}

describe('the web console in a real browser', () => {
  let seen: Seen | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    buildConsoleWeb({ force: true });
    await runMarketDay(options, () => undefined, {
      handleSignals: false,
      // The run's NATS and the machine's Postgres are reused; the chain is this test's own, on a free port.
      startStack: () => startLocalStack({ evm: true, ports: 'random', reuseEvm: false, handleSignals: false, log: () => undefined }),
      whileOpen: async (market) => {
        seen = await inBrowser(market);
      },
    });
  }, 600_000);

  it('shows every group-period of the day finalized, and a finalized period with its chain anchor', () => {
    expect(seen?.finalizedCells).toBe(options.groups * options.periods);
    expect(seen?.groupPeriodState).toBe('finalized');
    expect(seen?.chainAnchor).toMatch(/^confirmed · tx 0x[0-9a-f]{8}…[0-9a-f]{4} · block \d+/);
  });

  it('signs a participant in with their wallet (SIWE), as the services verify sessions', () => {
    expect(seen?.signedInAs).toContain(`signed in as ${seen?.walletAddress}`);
  });

  it('lists a dead letter with its reason and re-drives it for the operator', () => {
    expect(seen?.deadLettersBefore).toBeGreaterThan(0);
    expect(seen?.operatorSession).toContain(`re-drives are signed in as ${seen?.walletAddress}`);
    expect(seen?.redriveOutcome).toMatch(/^re-drove 1 dead letter \(re-drive [0-9a-f-]{36}\)$/);
  });

  it("verifies a meter's value and proof in the browser against the contract", () => {
    expect(seen?.verdict).toContain('Verified in this browser: the contract holds this value.');
    expect(seen?.verdict).toContain('verifyMeter(…) answered true');
    expect(seen?.checkValue).toContain(`${seen?.expectedKwh} kWh`);
  });
});
