import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { BlockRef } from './cascade.client';

/** The persisted block cursor (`chain_cursor`): the last head the worker saw. */
@Injectable()
export class ChainCursorRepository {
  async head(em: EntityManager): Promise<BlockRef | null> {
    const rows = (await em.query(`SELECT block_number, block_hash FROM chain_cursor WHERE name = 'head'`)) as { block_number: string; block_hash: string }[];
    return rows.length > 0 ? { number: Number(rows[0].block_number), hash: rows[0].block_hash } : null;
  }

  async saveHead(em: EntityManager, head: BlockRef): Promise<void> {
    await em.query(
      `INSERT INTO chain_cursor (name, block_number, block_hash) VALUES ('head', $1, $2)
       ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = now()`,
      [head.number, head.hash],
    );
  }
}
