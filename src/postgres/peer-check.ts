/**
 * Stops the import of `nestjs-warden/postgres` with the command that fixes it when the optional
 * peer `pg` is missing: Node's own error names a file deep in this package, not what to install.
 * It must run before the store's `require('pg')`, which is why `index.ts` imports it first. It
 * acts in the CommonJS build, the one implementation the package ships (its ES module entry loads
 * that build too); where no `require` exists (the repo's tests run the sources as ES modules, with
 * pg installed) there is nothing to check.
 */
if (typeof require === 'function') {
  try {
    require.resolve('pg');
  } catch (cause) {
    throw new Error("nestjs-warden/postgres needs the optional peer dependency 'pg', which is not installed: npm i pg", { cause });
  }
}

export {};
