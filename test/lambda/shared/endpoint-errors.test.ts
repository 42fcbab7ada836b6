/**
 * Issue #23 defect 13: a refused connection names its service and the variable that points there,
 * the general AWS_ENDPOINT_URL (which the SDK honours for every service) included.
 */
import { explainConnectionError } from '../../../lambda/shared/errors';

const refused = { code: 'ECONNREFUSED', address: '127.0.0.1', port: 4566, message: 'connect ECONNREFUSED 127.0.0.1:4566' };

test('only AWS_ENDPOINT_URL set: the refused port is found there, and the fix names AWS_ENDPOINT_URL', () => {
  const m = explainConnectionError({ ...refused, $drService: 'DynamoDB' }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
  expect(m).toMatch(/^(S3|DynamoDB) is unreachable: 127\.0\.0\.1:4566 refused the connection \(ECONNREFUSED\)/);
  expect(m).toContain('or correct AWS_ENDPOINT_URL (unset it to use AWS)');
  expect(m).not.toMatch(/points there/);
});

test('the per-service variable wins over AWS_ENDPOINT_URL, as in the SDK', () => {
  const m = explainConnectionError(refused, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566' });
  expect(m).toContain('DynamoDB is unreachable');
  expect(m).toContain('correct AWS_ENDPOINT_URL_DYNAMODB');
});
