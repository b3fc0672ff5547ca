import { describe, expect, it } from 'vitest';
import { cutoffRefuses, decodeCutoff, encodeCutoff, mergeCutoffs, userCutoff, type UserCutoff } from './user-cutoff.js';

const T = 1_764_000_000_000;

/** What a cut-off refuses of each family, up to when: the model `mergeCutoffs` must agree with. */
const at = (entry: UserCutoff, family: string): number => (entry.family === family ? (entry.familyCutoff ?? 0) : entry.cutoff);

describe('user cut-offs', () => {
  it('milliseconds: a token issued after the cut-off, in the same second, is not refused; one at or before it is', () => {
    const entry = userCutoff(T + 500);
    expect(cutoffRefuses(entry, { sub: 'u', issuedAtMs: T + 500 })).toBe(true);
    expect(cutoffRefuses(entry, { sub: 'u', issuedAtMs: T + 501 })).toBe(false);
    // A token without iat_ms (another issuer) is dated at the start of its second: refused.
    expect(cutoffRefuses(entry, { sub: 'u', iat: T / 1000 })).toBe(true);
    expect(cutoffRefuses(entry, { sub: 'u', iat: T / 1000 + 1 })).toBe(false);
  });

  it('a cut-off in seconds (an earlier version wrote these) covers its whole second', () => {
    const entry = decodeCutoff(String(T / 1000));
    expect(entry.cutoff).toBe(T + 999);
    expect(cutoffRefuses(entry, { issuedAtMs: T + 999 })).toBe(true);
    expect(cutoffRefuses(entry, { issuedAtMs: T + 1000 })).toBe(false);
  });

  it('except spares one login from this cut-off only, not from an earlier one', () => {
    const merged = mergeCutoffs(userCutoff(T), userCutoff(T + 100, 'keep'));
    expect(cutoffRefuses(merged, { family: 'other', issuedAtMs: T + 50 })).toBe(true);
    expect(cutoffRefuses(merged, { family: 'keep', issuedAtMs: T + 50 })).toBe(false);
    expect(cutoffRefuses(merged, { family: 'keep', issuedAtMs: T })).toBe(true);
    // A later logout-all that does not spare it refuses it too.
    const later = mergeCutoffs(merged, userCutoff(T + 200));
    expect(cutoffRefuses(later, { family: 'keep', issuedAtMs: T + 150 })).toBe(true);
  });

  it('merging is the per-login maximum, in any order (1,000 random sequences)', () => {
    const families = ['a', 'b', 'c'];
    for (let run = 0; run < 1000; run++) {
      const calls = Array.from({ length: 1 + (run % 5) }, () => {
        const except = Math.random() < 0.6 ? families[Math.floor(Math.random() * 3)] : undefined;
        return userCutoff(T + Math.floor(Math.random() * 1000), except);
      });
      const forward = calls.reduce((a, b) => mergeCutoffs(a, b));
      const backward = [...calls].reverse().reduce((a, b) => mergeCutoffs(a, b));
      for (const family of [...families, 'z']) {
        const model = Math.max(...calls.map((call) => at(call, family)));
        expect(at(forward, family)).toBe(model);
        expect(at(backward, family)).toBe(model);
      }
      expect(decodeCutoff(encodeCutoff(forward))).toEqual(forward);
    }
  });

  it('the encoded form keeps a family with spaces or newlines', () => {
    const entry = { cutoff: T + 5, family: 'a b\nc', familyCutoff: T + 1 };
    expect(decodeCutoff(encodeCutoff(entry))).toEqual(entry);
  });
});
