import { MESSAGING_MIGRATIONS } from '@gridledger/persistence';
import { CreateMeterIngestTables1764000000100 } from './1764000000100-create-meter-ingest-tables.migration';
import { AddGroupPeriodManifests1796144352702 } from './1796144352702-add-group-period-manifests.migration';
import { AddRegistryRevision1796144400000 } from './1796144400000-add-registry-revision.migration';
import { PartitionIntervalsByDay1796145000000 } from './1796145000000-partition-intervals-by-day.migration';
import { AddSignedRequest1796145100000 } from './1796145100000-add-signed-request.migration';
import { AddManifestDirtyMarkedAt1796145200000 } from './1796145200000-add-manifest-dirty-marked-at.migration';
import { CompressBodiesWithLz41796145300000 } from './1796145300000-compress-bodies-with-lz4.migration';
import { AddManifestBatches1796145400000 } from './1796145400000-add-manifest-batches.migration';
import { ListBatchesOfEarlierValues1796145500000 } from './1796145500000-list-batches-of-earlier-values.migration';

/** meter-ingest owns the `meter_ingest` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'meter_ingest';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [
  ...MESSAGING_MIGRATIONS,
  CreateMeterIngestTables1764000000100,
  AddGroupPeriodManifests1796144352702,
  AddRegistryRevision1796144400000,
  PartitionIntervalsByDay1796145000000,
  AddSignedRequest1796145100000,
  AddManifestDirtyMarkedAt1796145200000,
  CompressBodiesWithLz41796145300000,
  AddManifestBatches1796145400000,
  ListBatchesOfEarlierValues1796145500000,
];
