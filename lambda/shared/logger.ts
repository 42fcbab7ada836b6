/**
 * The Lambdas' logger: Powertools for AWS Lambda (TypeScript) Logger, structured JSON on stdout.
 * Each handler adds its invocation's context (`logger.addContext(context)`), so every line
 * carries the request id; the level comes from the environment (POWERTOOLS_LOG_LEVEL, or the
 * function's AWS_LAMBDA_LOG_LEVEL), INFO by default.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function, created once when the module loads. */
export const logger = new Logger({ serviceName: 'dr-stack' });
