// Placeholder until the hub lands: the `tokenhub` command line.
console.error('The hub is not built yet.');
process.exit(1);
