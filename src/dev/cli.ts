// Developer tools: `start` (the demo) and the code-server test host.
console.error('`npm start` is not ready yet: the product is still being built.');
process.exit(1);
