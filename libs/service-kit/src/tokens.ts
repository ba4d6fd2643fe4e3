import { Inject } from '@nestjs/common';

/** Injection tokens for what bootstrapService builds before the Nest app. */
export const MESSAGING = Symbol('gridledger.messaging');
export const DATA_SOURCE = Symbol('gridledger.dataSource');
export const TELEMETRY = Symbol('gridledger.telemetry');
export const SERVICE_CONFIG = Symbol('gridledger.config');
export const OUTBOX_RELAY = Symbol('gridledger.outboxRelay');
export const LOGGER = Symbol('gridledger.logger');

export const InjectMessaging = () => Inject(MESSAGING);
export const InjectDataSource = () => Inject(DATA_SOURCE);
export const InjectTelemetry = () => Inject(TELEMETRY);
export const InjectConfig = () => Inject(SERVICE_CONFIG);
export const InjectOutboxRelay = () => Inject(OUTBOX_RELAY);
export const InjectLogger = () => Inject(LOGGER);
