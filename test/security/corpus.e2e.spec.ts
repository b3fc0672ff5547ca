import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { rawRequest } from '../utils/raw-request.js';
import { CorpusAppModule } from './corpus-app.js';
import { corpusRows } from './corpus-rows.js';

const rows = corpusRows();

describe('the attack corpus', () => {
  it('has at least 120 rows, at least 15 of them valid controls', () => {
    expect(rows.length).toBeGreaterThanOrEqual(120);
    expect(rows.filter((row) => row.expect.status === 200).length).toBeGreaterThanOrEqual(15);
    expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);
  });
});

describe.each(ADAPTERS)('attack corpus on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [CorpusAppModule] });
  });
  afterAll(() => t.close());

  it.each(rows)('$name ($source)', async (row) => {
    const res = await rawRequest(t.url, row.path, row.headers, row.method);
    expect(res.status, JSON.stringify(res.body)).toBe(row.expect.status);
    if (row.expect.code !== undefined) expect(res.body.code).toBe(row.expect.code);
    if (row.expect.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
    if (row.expect.status === 200) expect(res.body).toEqual({ userId: expect.any(String) });
  });
});
