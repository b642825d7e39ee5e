// The contract suite against a hub on the default store: a SQLite file in the hub's temp folder.
import { contractSuite } from './contract';

contractSuite('SQLite', { create: async () => undefined });
