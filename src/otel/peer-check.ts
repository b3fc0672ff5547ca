/**
 * Stops the import of `nestjs-warden/otel` with the command that fixes it when the optional
 * peer `@opentelemetry/api` is missing (Node's own error would name a file deep in this
 * package). It runs before anything imports the API, which is why `index.ts` imports it first;
 * it acts in the CommonJS build, the one implementation the package ships.
 */
if (typeof require === 'function') {
  try {
    require.resolve('@opentelemetry/api');
  } catch (cause) {
    throw new Error(
      "nestjs-warden/otel needs the optional peer dependency '@opentelemetry/api', which is not installed: npm i @opentelemetry/api",
      { cause },
    );
  }
}

export {};
