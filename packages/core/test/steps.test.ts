import { runSteps, type Steps } from '../src/handler/steps';

// runSteps is the engine of the MIDDLEWARE_CLASSES handler: hooks that answer at once must cost no
// promise, and hooks that answer later must behave exactly as if they had been awaited.

function* addAll(values: unknown[]): Steps<number> {
  let total = 0;
  for (const value of values) total += (yield value) as number;
  return total;
}

describe('runSteps', () => {
  it('returns a plain value, not a promise, when every step answered synchronously', () => {
    expect(runSteps(addAll([1, 2, 3]))).toBe(6);
  });

  it('continues asynchronously from the first promise and resolves to the same result', async () => {
    const result = runSteps(addAll([1, Promise.resolve(2), 3, Promise.resolve(4)]));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(10);
  });

  it('throws a rejection into the steps, where their try/catch handles it', async () => {
    function* recovering(): Steps<string> {
      try {
        yield Promise.reject(new Error('late failure'));
        return 'not reached';
      } catch (error) {
        const after = (yield 'sync after catch') as string;
        return `${(error as Error).message}, then ${after}`;
      }
    }
    await expect(runSteps(recovering())).resolves.toBe('late failure, then sync after catch');
  });

  it('throws synchronously what synchronous steps do not catch', () => {
    function* failing(): Steps<never> {
      yield 1;
      throw new Error('sync failure');
    }
    expect(() => runSteps(failing())).toThrow('sync failure');
  });

  it('rejects with what the steps do not catch once they run asynchronously', async () => {
    function* failingLater(): Steps<never> {
      yield Promise.resolve(1);
      throw new Error('async failure');
    }
    await expect(runSteps(failingLater())).rejects.toThrow('async failure');
  });

  it('passes an uncaught rejection on as the rejection of the whole run', async () => {
    await expect(runSteps(addAll([Promise.reject(new Error('unhandled'))]))).rejects.toThrow('unhandled');
  });
});
