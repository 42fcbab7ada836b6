/**
 * The problems `parseConfig` reports for a config object, joined one per line, for tests of the
 * config's messages. Fails the test when the config is accepted.
 */
import { ConfigError, parseConfig } from '../../lib/config';

/** The problems parseConfig reports for `raw` (fails the test when it does not throw). */
export function problemsOf(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('expected the config to be rejected');
}
