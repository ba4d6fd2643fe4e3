import type { DataSource } from 'typeorm';

/**
 * Nonces of accepted signed requests, in the service's Postgres schema (table `used_nonces`,
 * created by the backbone's migrations): a nonce is accepted once per signer. Rows are kept
 * until the request's expiry, then pruned (`prune`, run every minute by the AuthModule): after
 * its expiry the request is refused as expired, so the nonce need not be remembered.
 */
export class NonceStore {
  constructor(private readonly dataSource: DataSource) {}

  /** True the first time (signer, nonce) is seen; false for a replay. */
  async use(signer: string, nonce: string, expiresAtMs: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO used_nonces (signer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [signer, nonce.toLowerCase(), new Date(expiresAtMs)],
    );
    return rows.length === 1;
  }

  /** Deletes nonces whose requests have expired; returns how many. */
  async prune(nowMs: number): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(`DELETE FROM used_nonces WHERE expires_at < $1 RETURNING 1`, [new Date(nowMs)]);
    return rows.length;
  }
}
