import { MESSAGING_MIGRATIONS } from '@gridledger/persistence';
import { CreateBalancingTables1764000001000 } from './1764000001000-create-balancing-tables.migration';
import { AddGroupPeriodTrace1764000002000 } from './1764000002000-add-group-period-trace.migration';
import { AddGroupPeriodFailures1764000003000 } from './1764000003000-add-group-period-failures.migration';
import { CreateLeafSaltKey1764000004700 } from './1764000004700-create-leaf-salt-key.migration';
import { AddIngestManifests1796144900000 } from './1796144900000-add-ingest-manifests.migration';
import { PartitionMeterValuesByDay1796145600000 } from './1796145600000-partition-meter-values-by-day.migration';
import { AddMeterPointParties1796146000000 } from './1796146000000-add-meter-point-parties.migration';
import { AddGroupPeriodRestore1796150000000 } from './1796150000000-add-group-period-restore.migration';

/** balancing owns the `balancing` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'balancing';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [
  ...MESSAGING_MIGRATIONS,
  CreateBalancingTables1764000001000,
  AddGroupPeriodTrace1764000002000,
  AddGroupPeriodFailures1764000003000,
  CreateLeafSaltKey1764000004700,
  AddIngestManifests1796144900000,
  PartitionMeterValuesByDay1796145600000,
  AddMeterPointParties1796146000000,
  AddGroupPeriodRestore1796150000000,
];
