// An endpoint's upstream: the URL of the real service behind it, set by the hub's operator (tokenhub endpoint add
// --upstream, endpoint set-upstream), read by the gateway (routes/gateway.ts). Never shown through the API.

/** Why a text is not an upstream URL, as a sentence that says what to give instead; undefined when it is one. */
export function upstreamProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL; give the service's address, such as http://127.0.0.1:9000/v1.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `The upstream must be an http:// or https:// URL, not ${url.protocol}//.`;
  // A credential in the URL would be stored and shown to every operator: the upstream must authenticate the hub otherwise.
  if (url.username !== '' || url.password !== '') return 'Leave the user name and password out of the upstream URL; it is stored and shown as it is.';
  if (url.search !== '' || url.hash !== '') return 'Leave the query and fragment out of the upstream URL: the gateway appends the caller\'s path and query to it.';
  return undefined;
}

/** The stored form of a valid upstream: normalised, without a trailing slash (the gateway appends "/" + path). */
export function normaliseUpstream(text: string): string {
  return new URL(text).href.replace(/\/+$/, '');
}
