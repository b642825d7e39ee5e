// Bundled in place of `proxy-from-env`: the client passes `proxy: false`, so axios never reads proxy variables
// itself (VS Code's own proxy support applies to Node's http modules underneath).
export function getProxyForUrl() {
  return '';
}
