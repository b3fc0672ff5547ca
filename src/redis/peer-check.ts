/**
 * Stops the import of `nestjs-warden/redis` with the command that fixes it when the optional
 * peer `ioredis` is missing: Node's own error names a file deep in this package, not what to
 * install. It must run before the store's `require('ioredis')`, which is why `index.ts`
 * imports it first. It acts in the CommonJS build, the one implementation the package ships
 * (its ES module entry loads that build too); where no `require` exists (the repo's tests run
 * the sources as ES modules, with ioredis installed) there is nothing to check.
 */
if (typeof require === 'function') {
  try {
    require.resolve('ioredis');
  } catch (cause) {
    throw new Error("nestjs-warden/redis needs the optional peer dependency 'ioredis', which is not installed: npm i ioredis", {
      cause,
    });
  }
}

export {};
