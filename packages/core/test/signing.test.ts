import { BadSignature, ImproperlyConfigured, randomString, Signer } from '@manouche/core';

describe('Signer', () => {
  it('round-trips a value it signed', () => {
    const signer = new Signer('secret', 'salt');
    expect(signer.unsign(signer.sign('hello:world'))).toBe('hello:world');
  });

  it('refuses a tampered value', () => {
    const signer = new Signer('secret', 'salt');
    const signed = signer.sign('alice');
    expect(() => signer.unsign(signed.replace('alice', 'mallory'))).toThrow(BadSignature);
  });

  it('refuses a value signed with another salt or secret', () => {
    const signed = new Signer('secret', 'sessions').sign('x');
    expect(() => new Signer('secret', 'csrf').unsign(signed)).toThrow(BadSignature);
    expect(() => new Signer('other', 'sessions').unsign(signed)).toThrow(BadSignature);
  });

  it('refuses a value older than maxAge, and accepts it within maxAge', () => {
    const signer = new Signer('secret', 'salt');
    jest.useFakeTimers({ now: Date.now() - 100_000 });
    const old = signer.sign('x');
    jest.useRealTimers();
    expect(() => signer.unsign(old, 10)).toThrow(/older than 10 seconds/);
    expect(signer.unsign(old, 1000)).toBe('x');
  });

  it('checks the age on every unsign, also of a value whose signature it has verified before', () => {
    const signer = new Signer('secret', 'remembered-age');
    jest.useFakeTimers({ now: Date.now() - 100_000 });
    const old = signer.sign('x');
    jest.useRealTimers();
    expect(signer.unsign(old, 1000)).toBe('x');
    expect(() => signer.unsign(old, 10)).toThrow(/older than 10 seconds/);
  });

  it('refuses a value verified under one key when another key unsigns it, and a tampered copy of it', () => {
    const signed = new Signer('secret', 'remembered').sign('alice');
    expect(new Signer('secret', 'remembered').unsign(signed)).toBe('alice');
    expect(() => new Signer('other', 'remembered').unsign(signed)).toThrow(BadSignature);
    expect(() => new Signer('secret', 'remembered').unsign(signed.replace('alice', 'mallo'))).toThrow(
      BadSignature,
    );
  });

  it('needs a SECRET_KEY', () => {
    expect(() => new Signer('', 'salt')).toThrow(ImproperlyConfigured);
    expect(() => new Signer(undefined, 'salt')).toThrow(/SECRET_KEY/);
  });
});

describe('randomString()', () => {
  it('gives letters and digits of the asked length, different each time', () => {
    const first = randomString(32);
    expect(first).toMatch(/^[a-zA-Z0-9]{32}$/);
    expect(randomString(32)).not.toBe(first);
  });
});
