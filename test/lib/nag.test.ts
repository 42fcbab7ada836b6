import { acknowledgeFindings } from '../../lib/nag';
import { build, type Built } from './app-fixture';
import { acknowledgements, existingResourcesConfig, nagErrors as errors } from './nag-fixture';

describe('cdk-nag AwsSolutions over both stacks (example config)', () => {
  let built: Built;
  let before: string[];
  beforeAll(() => {
    built = build();
    before = errors(built);
    acknowledgeFindings(built.stacks);
  });

  it('finds the wildcard grants before anything is acknowledged (the check can fail)', () => {
    expect(before).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[Resource::.*\/backups\/\*\] @ Shop-Production\/BackupFunction/));
  });
  it('leaves zero unacknowledged errors', () => {
    expect(errors(built)).toEqual([]);
  });
  it('acknowledges one named finding at a time, each with a reason', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-IAM[45]\[(Resource|Policy)::.+\]$/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});

describe('cdk-nag AwsSolutions over both stacks (existing tables, owned data bucket, no restore test)', () => {
  it('leaves zero unacknowledged errors', () => {
    const built = build(existingResourcesConfig());
    acknowledgeFindings(built.stacks);
    expect(errors(built)).toEqual([]);
  });
});
