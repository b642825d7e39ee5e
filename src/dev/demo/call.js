/* global fetch, TextDecoder */
// Calls the demo's chat-completions endpoint through the Token Hub gateway with the token in .env, and prints the
// answer as it streams in. Run it in this folder's terminal: node call.js
// Insert a token first: Create Access Token > Insert into .env (or Insert Token into .env on a token).
const fs = require('fs');
const path = require('path');

/** TOKENHUB_TOKEN from .env next to this file, else from the environment (a terminal the extension gave it to). */
function readToken() {
  let text = '';
  try {
    text = fs.readFileSync(path.join(__dirname, '.env'), 'utf8');
  } catch {
    // no .env: the environment's, if any
  }
  const line = text.split(/\r?\n/).find((l) => /^\s*(export\s+)?TOKENHUB_TOKEN\s*=/.test(l));
  const fromFile = line ? line.slice(line.indexOf('=') + 1).trim().replace(/^(['"])(.*)\1$/, '$2') : '';
  return fromFile || process.env.TOKENHUB_TOKEN || undefined;
}

const WHY = {
  401: 'The hub refused the token (401): it was deleted or rotated, has expired, or is not a Token Hub token. Create a new one in the Token Hub view and insert it into .env.',
  403: 'This token may not call chat-completions (403). Create a token for chat-completions and insert it into .env.',
  429: 'Too many failed attempts from this address (429); wait a minute and try again.',
};

async function main() {
  const hub = (process.env.TOKENHUB_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const token = readToken();
  if (!token) {
    console.error('There is no TOKENHUB_TOKEN in .env yet: insert a token (Insert into .env on a token of the Token Hub view), then run node call.js again.');
    return 1;
  }
  let res;
  try {
    res = await fetch(`${hub}/v1/gateway/chat-completions/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hello.' }], stream: true }),
    });
  } catch {
    console.error(`Cannot reach the hub at ${hub}; start it with npm start (or set TOKENHUB_URL to its address).`);
    return 1;
  }
  if (!res.ok) {
    let message = '';
    try {
      message = (await res.json()).error.message;
    } catch {
      // not the hub's error shape: the status says enough
    }
    console.error(WHY[res.status] || `The call failed with ${res.status}${message ? `: ${message}` : '.'}`);
    return 1;
  }
  console.log(`${res.status}: the hub let the token through to the upstream; its answer, as it streams in:`);
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body) {
    pending += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = pending.indexOf('\n\n')) !== -1) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data === '[DONE]') {
        process.stdout.write('\n');
        return 0;
      }
      if (data) process.stdout.write(JSON.parse(data).choices[0].delta.content || '');
    }
  }
  process.stdout.write('\n');
  return 0;
}

main().then((code) => (process.exitCode = code));
