// The contract suite against a hub on PostgreSQL (a private cluster started for this file).
import { describeWithPostgres } from '../support/postgres';
import { contractSuite } from './contract';

describeWithPostgres('PostgreSQL', (create) => contractSuite('PostgreSQL', { create }));
