/**
 * What `@aws-sdk/credential-provider-node` resolves to in the Lambda bundles (lib/processor-entry.ts aliases it): the
 * SDK clients' default credential chain reduced to its first link, the environment, which is where the Lambda runtime
 * puts the credentials of the function's role (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The
 * chain's other links (SSO, shared ini files, credential processes, web identity tokens, container and instance
 * metadata) never run in a Lambda function, yet with the STS, SSO and sign-in clients they load lazily they were
 * 136 KB of every bundle. The SDK clients memoize and refresh what this returns, as with the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The environment credentials provider, under the name the SDK clients import the default chain by. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> => fromEnv(init);
