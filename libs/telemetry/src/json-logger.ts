import type { LoggerService } from '@nestjs/common';
import { activeTraceIds } from './trace-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Where lines go; stdout by default (tests pass a collector). */
  readonly write?: (line: string) => void;
}

/**
 * One JSON object per line, carrying trace_id and span_id of the active span so logs and
 * traces join up. Implements Nest's LoggerService, so Nest's own logs come out the same way.
 */
export class JsonLogger implements LoggerService {
  private readonly minRank: number;
  private readonly write: (line: string) => void;

  constructor(private readonly options: JsonLoggerOptions) {
    this.minRank = LEVEL_RANK[options.level ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }

  /** Structured entry: `logger.event('info', 'batch accepted', { batchId })`. */
  event(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    this.emit(level, msg, [], fields);
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[], fields: Record<string, unknown> = {}): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    // Nest passes the context name as the last string argument, and a stack before it for errors.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const stack = level === 'error' && typeof args[0] === 'string' ? (args.shift() as string) : undefined;
    const ids = activeTraceIds();
    const line: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.options.service,
      ...(context ? { context } : {}),
      msg: message instanceof Error ? message.message : typeof message === 'string' ? message : safeJson(message),
      ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
      ...fields,
      ...(stack ? { stack } : message instanceof Error && message.stack ? { stack: message.stack } : {}),
      ...(args.length ? { details: args.map(safeJson) } : {}),
    };
    this.write(JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  }
}

function safeJson(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
