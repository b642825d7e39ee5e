// Bundled in place of `follow-redirects`: the client sets maxRedirects to 0 (a redirect must not carry the
// account key to another host), so axios only ever uses Node's own modules.
module.exports = { http: require('http'), https: require('https') };
