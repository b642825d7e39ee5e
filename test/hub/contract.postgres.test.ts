// The contract suite against a hub on PostgreSQL (a private cluster started for this file).
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { contractSuite } from './contract';

describe('PostgreSQL', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster | undefined;
  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await cluster?.stop();
  });
  contractSuite('PostgreSQL', { create: (name) => cluster!.createDatabase(name) });
});
