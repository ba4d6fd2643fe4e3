import { useEffect, useState, type FormEvent } from 'react';
import { getJson, kWh, service, shortHex, type ConsoleConfig } from '../api';
import { verifyInBrowser, type BrowserVerification, type ProofReply } from '../verify';

interface MeterPoint {
  versions: { groupId: string; validFrom: string; validTo: string | null }[];
}

/** The group a meter belonged to at the period (its registry version valid then). */
function groupAt(meter: MeterPoint, periodId: string): string | undefined {
  const at = Date.parse(periodId);
  return meter.versions.find((v) => Date.parse(v.validFrom) <= at && (v.validTo === null || at < Date.parse(v.validTo)))?.groupId ?? meter.versions.at(-1)?.groupId;
}

/**
 * A meter owner's check: meter and period in, the value and its Merkle proof out, verified
 * here in the browser (ethers) against the contract through a chain RPC the owner may change.
 */
export function MeterCheckPage({ meterId: initialMeter, periodId: initialPeriod }: { meterId?: string; periodId?: string }) {
  const [meterId, setMeterId] = useState(initialMeter ?? '');
  const [periodId, setPeriodId] = useState(initialPeriod ?? '');
  // The owner's balancing group (on the bill); empty: looked up in the registry, which needs a session of the meter's MPO, supplier or DSO.
  const [group, setGroup] = useState('');
  const [rpcUrl, setRpcUrl] = useState('');
  const [contract, setContract] = useState('');
  const [reply, setReply] = useState<ProofReply>();
  const [verification, setVerification] = useState<BrowserVerification>();
  const [status, setStatus] = useState<string>();

  useEffect(() => {
    void getJson<ConsoleConfig>('/api/config').then((config) => {
      setRpcUrl((current) => current || config.chainRpcUrl);
      setContract((current) => current || (config.cascadeAddress ?? ''));
    });
  }, []);

  async function check(event: FormEvent): Promise<void> {
    event.preventDefault();
    setReply(undefined);
    setVerification(undefined);
    try {
      let groupId = group.trim() || undefined;
      if (!groupId) {
        setStatus('looking up the meter…');
        const meter = await getJson<MeterPoint>(service('meter-ingest', `/meters/${encodeURIComponent(meterId.trim())}`));
        groupId = groupAt(meter, periodId.trim());
      }
      if (!groupId) throw new Error('the meter has no registry version');
      setStatus('fetching the value and its proof…');
      const proof = await getJson<ProofReply>(service('chain-bridge', `/proofs/${encodeURIComponent(groupId)}/${encodeURIComponent(periodId.trim())}/${encodeURIComponent(meterId.trim())}`));
      setReply(proof);
      setStatus(`verifying in this browser against ${rpcUrl}…`);
      const result = await verifyInBrowser(proof, rpcUrl, contract || proof.anchor?.contract || '');
      setVerification(result);
      setStatus(undefined);
    } catch (error) {
      setStatus(`check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const verified = verification && verification.leafHashMatches && verification.rootMatchesProof && verification.rootMatchesChain && verification.verifiedByContract;
  return (
    <section>
      <h2>Meter owner's check</h2>
      <form onSubmit={(event) => void check(event)} className="check">
        <label>
          meter <input value={meterId} onChange={(e) => setMeterId(e.target.value)} placeholder="DE000000001-C" data-testid="check-meter" required />
        </label>
        <label>
          period (UTC start) <input value={periodId} onChange={(e) => setPeriodId(e.target.value)} placeholder="2026-11-24T12:00:00Z" data-testid="check-period" required />
        </label>
        <label>
          group (optional) <input value={group} onChange={(e) => setGroup(e.target.value)} placeholder="BG-01" data-testid="check-group" />
        </label>
        <label>
          chain RPC <input value={rpcUrl} onChange={(e) => setRpcUrl(e.target.value)} size={30} />
        </label>
        <label>
          contract <input value={contract} onChange={(e) => setContract(e.target.value)} size={44} placeholder="SettlementCascade address" />
        </label>
        <button type="submit" data-testid="check-submit">
          check
        </button>
      </form>
      {status && <p className="status">{status}</p>}
      {reply && (
        <dl className="totals">
          <dt>value</dt>
          <dd data-testid="check-value">
            {kWh(String(reply.leaf[3]))} kWh {Number(reply.leaf[2]) === 1 ? 'fed in (production)' : 'taken out (consumption)'}
          </dd>
          <dt>group, version</dt>
          <dd>
            {reply.groupId} v{reply.version}
          </dd>
          <dt>proof</dt>
          <dd>{reply.proof.length} hashes</dd>
          <dt>anchored</dt>
          <dd>{reply.anchor ? `${reply.anchor.status} · tx ${shortHex(reply.anchor.txHash)} · block ${reply.anchor.blockNumber ?? '—'}` : 'not anchored yet'}</dd>
        </dl>
      )}
      {verification && (
        <div className={`verdict ${verified ? 'ok' : 'bad'}`} data-testid="check-verdict">
          <strong>{verified ? 'Verified in this browser: the contract holds this value.' : 'NOT verified.'}</strong>
          <ul>
            <li>leaf hashed here from its values {verification.leafHashMatches ? 'matches' : 'does NOT match'} the leaf hash served</li>
            <li>
              proof folded here to root <span className="hex">{shortHex(verification.computedRoot)}</span> {verification.rootMatchesProof ? '=' : '≠'} the root served
            </li>
            <li>
              the contract's root on chain {String(verification.chainId)} (block {verification.blockNumber}) <span className="hex">{shortHex(verification.onChainRoot)}</span>{' '}
              {verification.rootMatchesChain ? '= the computed root' : '≠ the computed root'}
            </li>
            <li>the contract's verifyMeter(…) answered {String(verification.verifiedByContract)}</li>
          </ul>
        </div>
      )}
    </section>
  );
}
