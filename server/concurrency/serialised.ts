const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier call with the same key has settled (whether it succeeded or failed),
 * so work on one thing never overlaps in this process: transactions from one key (viem reads the pending
 * nonce per call), claims on one wallet's certificate, one stored cancellation or allocation.
 */
export function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  queues.set(key, next);
  const forget = () => {
    if (queues.get(key) === next) queues.delete(key);
  };
  next.then(forget, forget);
  return next;
}
