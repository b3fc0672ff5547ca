import { describe, expect, it } from 'vitest';
import { readEnvelope, withCredentials } from './rpc-envelope.js';

describe('withCredentials()', () => {
  it('puts a string in authorization and keeps the payload under data', () => {
    expect(withCredentials({ id: 1 }, 'Bearer abc')).toEqual({ $warden: { authorization: 'Bearer abc' }, data: { id: 1 } });
    expect(withCredentials(undefined, { 'X-Api-Key': 'k' })).toEqual({ $warden: { 'x-api-key': 'k' }, data: undefined });
    // What a transport sends is JSON: the envelope survives it.
    expect(JSON.parse(JSON.stringify(withCredentials([1], 'Bearer abc')))).toEqual({ $warden: { authorization: 'Bearer abc' }, data: [1] });
  });

  it.each([[''], [{}], [{ authorization: '' }], [{ authorization: 1 }], [null], [['Bearer a']], [{ 'a b': 'x' }], [{ A: 'x', a: 'y' }]])(
    'refuses %j with a TypeError saying what it takes',
    (credentials) => {
      expect(() => withCredentials(1, credentials as string)).toThrow(/withCredentials\(\): the credential must be/);
    },
  );
});

describe('readEnvelope()', () => {
  it('leaves anything without an own $warden key alone', () => {
    for (const message of [undefined, null, 1, 'x', [{ $warden: {} }], { data: 1 }, Object.create({ $warden: { authorization: 'x' } })]) {
      expect(readEnvelope(message)).toBeUndefined();
    }
  });

  it('reads headers into an object without a prototype', () => {
    const read = readEnvelope(JSON.parse('{"$warden":{"Authorization":"Bearer a","__proto__":"x"},"data":2}'));
    expect(read).toMatchObject({ data: 2 });
    const headers = (read as { headers: Record<string, string> }).headers;
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect({ ...headers }).toEqual({ authorization: 'Bearer a', ['__proto__']: 'x' });
  });

  it('says why a credential cannot be trusted, and flags a header given twice', () => {
    expect(readEnvelope({ $warden: 'x', data: 1 })).toEqual({ data: 1, problem: '$warden must be an object of headers' });
    expect(readEnvelope({ $warden: { a: 'x', A: 'y' } })).toMatchObject({ twice: true });
    expect(readEnvelope({ $warden: { authorization: 'x'.repeat(16_385) } })).toMatchObject({
      problem: expect.stringContaining('longer') as string,
    });
  });
});
