// `nestjs-warden/testing`: helpers for an app's own e2e tests, kept off the main entry (nothing
// here loads in production). It needs no optional peer: the builder of `@nestjs/testing` is
// used through its shape, supertest through the headers object `authAs` returns.
export { mintToken, mintTokenPair, authAs, type MintTokenOptions, type AuthAsOptions } from './mint-token.js';
export {
  overrideAuthentication,
  TestWardenGuard,
  type OverrideAuthenticationOptions,
  type TestingModuleBuilderLike,
} from './override-authentication.js';
export { startTestIssuer, TestIssuer, type TestIssuerOptions, type TestIssuerAlgorithm } from './test-issuer.js';
export { TEST_USER_HEADER, encodeTestUser, type TestUser } from './test-user.js';
