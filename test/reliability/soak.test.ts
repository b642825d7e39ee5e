// The soak (soak.ts) for 5 seconds on each store, as part of `npm test`; `npm run test:soak` runs it for a minute
// (`-- --postgres` on PostgreSQL).
import assert from 'assert';
import { runSoak } from './soak';

for (const postgres of [false, true]) {
  describe(`reliability: a short soak (5 s of mixed traffic, every answer checked, ${postgres ? 'PostgreSQL' : 'SQLite'})`, function () {
    this.timeout(120_000);

    it('no 5xx, no wrong answer, no network error; last use right; memory and database fine', async () => {
      const seconds = Number(process.env.SOAK_SECONDS ?? 5);
      // Over a few seconds the heap is still finding its size: the memory check of the long run is looser here.
      const report = await runSoak({ seconds, postgres, rssGrowthLimit: seconds < 30 ? 1.0 : 0.5 });
      for (const line of report.lines) console.log(`      ${line}`);
      const failed = report.checks.filter((c) => !c.ok);
      assert.deepStrictEqual(failed, []);
    });
  });
}
