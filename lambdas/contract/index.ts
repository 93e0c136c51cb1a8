/**
 * The contract between the stack (lib/) and the functions (lambdas/): every name both sides use, defined once.
 * Imports nothing from aws-cdk-lib or the AWS SDK, so the functions bundle it.
 */
export * from './env';
export * from './prefixes';
export * from './events';
export * from './metrics';
export * from './bundle';
