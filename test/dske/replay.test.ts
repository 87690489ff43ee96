// §11.6 replay guard on its own (the end-to-end use is in appendix-a.test.ts).
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src-shared/dske/replay';

const id = (v: number) => new Uint8Array(16).fill(v);

describe('ReplayGuard', () => {
  it('refuses a secret ID already recorded for the same sender only', () => {
    const g = new ReplayGuard();
    g.check('alice', id(1), 0, 10);
    g.record('alice', id(1), 0);
    expect(() => g.check('alice', id(1), 0, 10)).toThrow(expect.objectContaining({ code: 'replay' }));
    expect(() => g.check('bob', id(1), 0, 10)).not.toThrow();
    expect(() => g.check('alice', id(2), 0, 10)).not.toThrow();
  });

  it('refuses expired secrets and forgets expired entries on prune', () => {
    const g = new ReplayGuard();
    expect(() => g.check('a', id(1), 100, 101)).toThrow(expect.objectContaining({ code: 'expired' }));
    g.record('a', id(1), 100);
    g.record('a', id(2), 0);
    expect(g.prune(100)).toBe(0);
    expect(g.prune(101)).toBe(1);
    expect(g.has('a', id(1))).toBe(false);
    expect(g.has('a', id(2))).toBe(true);
  });

  it('survives a restart through entries()', () => {
    const g = new ReplayGuard();
    g.record('a', id(3), 0);
    const h = ReplayGuard.from(g.entries());
    expect(() => h.check('a', id(3), 0, 1)).toThrow(expect.objectContaining({ code: 'replay' }));
    expect(h.size).toBe(1);
  });

  it('validates its input', () => {
    const g = new ReplayGuard();
    expect(() => g.check('a', new Uint8Array(15), 0, 0)).toThrow(expect.objectContaining({ code: 'length' }));
    expect(() => g.check('a', id(1), -1, 0)).toThrow(expect.objectContaining({ code: 'argument' }));
  });
});

describe('a clock set back after a prune', () => {
  it('does not let a pruned, expired secret ID in again', () => {
    const g = new ReplayGuard();
    const id = new Uint8Array(16).fill(3);
    g.record('alice', id, 1000);
    expect(g.prune(2000)).toBe(1);
    expect(() => g.check('alice', id, 1000, 900)).toThrow(expect.objectContaining({ code: 'expired' }));
  });
});
