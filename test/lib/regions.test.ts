/** lib/regions.ts is the region list of aws-cdk-lib's region-info, copied so the CLI need not load aws-cdk-lib. */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { KNOWN_REGIONS } from '../../lib/regions';

test('KNOWN_REGIONS equals RegionInfo.regions (after an aws-cdk-lib upgrade, copy the received list into lib/regions.ts)', () => {
  expect([...KNOWN_REGIONS]).toEqual(RegionInfo.regions.map((r) => r.name).sort());
});
