// Lookups of one turn of the event loop that ask the same question share one query, sent once that turn's I/O has
// been read (setImmediate runs right after the poll phase): each is still answered by a query sent after its request
// arrived, so it sees every commit made before (a revoked key is refused by the next request), but a key every
// request carries (a verify API's service key, a gateway's endpoint) costs the database one query a turn.

/** `ask`, batched per turn by key. A rejection of the shared query rejects each of its lookups. */
export function perTurn<V>(ask: (key: string) => Promise<V>): (key: string) => Promise<V> {
  let pending: Map<string, { promise: Promise<V>; settle: (answer: Promise<V>) => void }> | undefined;
  const send = () => {
    const batch = pending!;
    pending = undefined;
    for (const [key, lookup] of batch) lookup.settle(ask(key));
  };
  return (key) => {
    if (pending === undefined) {
      pending = new Map();
      setImmediate(send);
    }
    let lookup = pending.get(key);
    if (lookup === undefined) {
      let settle!: (answer: Promise<V>) => void;
      const promise = new Promise<V>((resolve) => (settle = resolve));
      pending.set(key, (lookup = { promise, settle }));
    }
    return lookup.promise;
  };
}
