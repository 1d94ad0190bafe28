// floe_up.mjs - what the interop tests that run `floe up` share: a free
// loopback port, and waiting until floe's /health answers.
import net from 'node:net';

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export async function waitUp(url) {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url + '/health')).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('floe up did not start');
}
