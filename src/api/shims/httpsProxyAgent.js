// Bundled in place of `https-proxy-agent`: the client passes `proxy: false`, and VS Code's own proxy support
// applies to Node's http modules underneath.
module.exports = {
  HttpsProxyAgent: class HttpsProxyAgent {
    constructor() {
      throw new Error('Token Hub does not configure proxies itself; VS Code\'s proxy settings apply.');
    }
  },
};
