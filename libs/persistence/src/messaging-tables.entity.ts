import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row per (event, consumer) the service has applied. Written in the same transaction
 * as the handler's changes, so a redelivered event is recognised and applied once.
 */
@Entity({ name: 'inbox' })
export class InboxEntry {
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @PrimaryColumn({ name: 'consumer', type: 'text' })
  consumer!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'stream_sequence', type: 'bigint' })
  streamSequence!: string;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}

/**
 * What the service will publish, written in the caller's transaction and relayed to
 * JetStream in `position` order by the OutboxRelay. `subject` is without namespace.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished', ['position'], { where: 'published_at IS NULL AND parked_at IS NULL' })
export class OutboxEntry {
  @PrimaryGeneratedColumn({ name: 'position', type: 'bigint' })
  position!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  /** The envelope as JSON text, byte for byte what goes on the wire. */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;

  /** W3C trace context captured at enqueue time, so the trace continues on publish. */
  @Column({ name: 'headers', type: 'jsonb', default: () => "'{}'::jsonb" })
  headers!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /** Transient publish failures so far; at the relay's limit the row is parked. */
  @Column({ name: 'attempts', type: 'integer', default: 0 })
  attempts!: number;

  /** Set when the relay gave up on the row (it publishes around it); `park_reason` says why (≤ 500 chars). */
  @Column({ name: 'parked_at', type: 'timestamptz', nullable: true })
  parkedAt!: Date | null;

  @Column({ name: 'park_reason', type: 'text', nullable: true })
  parkReason!: string | null;
}

export const MESSAGING_ENTITIES = [InboxEntry, OutboxEntry];
