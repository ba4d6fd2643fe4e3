import { Module } from '@nestjs/common';

/**
 * capacity-market's own modules go here. Messaging, database, telemetry, config, health and metrics
 * come from service-kit's global BackboneModule (inject with @InjectDataSource() etc.).
 */
@Module({ imports: [] })
export class AppModule {}
