// Stored dedupe claims are 8 bytes of the id's SHA-256 in base64url: items written by any version must keep matching
// the ids they claimed, so claimHash must give exactly that form whatever way it computes it.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLAIM_HASH_CHARS, claimHash } from '../../../core/engine/claims';

const storedForm = (id: string) =>
  createHash('sha256').update(id, 'utf8').digest().subarray(0, 8).toString('base64url');

describe('claimHash', () => {
  it('is the first 8 bytes of the SHA-256 in base64url, for any id (text, unicode, empty)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uuid()), (id) => {
        const h = claimHash(id);
        expect(h).toHaveLength(CLAIM_HASH_CHARS);
        expect(h).toBe(storedForm(id));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches a claim stored by an earlier version', () => {
    expect(claimHash('evt-0-0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(
      storedForm('evt-0-0f8fad5b-d9cb-469f-a165-70867728950e'),
    );
    expect(claimHash('e1')).toBe('i1zE337sfTI');
  });
});
