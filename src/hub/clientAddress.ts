// The client's address (for the failed-authentication limit): the TCP peer's, unless the peer is one of the hub's
// trusted proxies (tokenhub serve --trust-proxy); then the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy, as fastify's trustProxy (proxy-addr) does. X-Forwarded-For from anyone else is ignored, so a
// client cannot pick the address it is counted against.
import net from 'net';

/** The address a request is counted against, from its TCP peer and its X-Forwarded-For header. */
export type AddressResolver = (peer: string | undefined, forwardedFor: string | string[] | undefined) => string;

/** Without trusted proxies: the peer, always. */
export const peerAddress: AddressResolver = (peer) => peer ?? '';

/** Why an entry of --trust-proxy is not an address or CIDR block, or undefined when it is one. */
export function trustEntryProblem(entry: string): string | undefined {
  const [address, prefix, extra] = entry.split('/');
  const family = net.isIP(address ?? '');
  const ok = family !== 0 && extra === undefined && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
  return ok ? undefined : `"${entry}" is not an IP address or a CIDR block such as 10.0.0.0/8 or ::1.`;
}

/** A resolver that trusts X-Forwarded-For from these addresses and CIDR blocks (each checked by trustEntryProblem). */
export function trustingProxies(entries: readonly string[]): AddressResolver {
  if (entries.length === 0) return peerAddress;
  const trusted = new net.BlockList();
  for (const entry of entries) {
    const problem = trustEntryProblem(entry);
    if (problem) throw new Error(problem);
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = net.isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(prefix), type);
  }
  // BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against IPv4 rules too.
  const isTrusted = (address: string) => {
    const family = net.isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (peer, forwardedFor) => {
    const address = peer ?? '';
    if (forwardedFor === undefined || !isTrusted(address)) return address;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    let client = address;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!.trim();
      if (hop === '') continue;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}
