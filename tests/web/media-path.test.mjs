// Unit tests of the media URL check and the bounded blob cache (no browser): `node --test tests/web/`
import test from 'node:test';
import assert from 'node:assert/strict';
import { mediaPath, externalUrl, BlobCache } from '../../Sources/ParleyWeb/App/media.js';

const O = 'https://chat.example';
const ID = 'm_o2dpfljyk7vbhsd67jg4sy2i2s';

test('media downloads of this origin are accepted, as paths', () => {
  assert.equal(mediaPath(`/v1/media/${ID}`, O), `/v1/media/${ID}`);
  assert.equal(mediaPath(`/v1/media/${ID}/thumbnail`, O), `/v1/media/${ID}/thumbnail`);
  assert.equal(mediaPath(`/v1/media/${ID}/display`, O), `/v1/media/${ID}/display`);
  assert.equal(mediaPath(`${O}/v1/media/${ID}`, O), `/v1/media/${ID}`);
});

test('anything else is refused', () => {
  for (const url of [
    '/', '/index.html', '/v1/users/me', '/v1/media', '/v1/media/', `/v1/media/${ID}/`, `/v1/media/${ID}/other`,
    `/v1/media/${ID}?x=1`, `/v1/media/${ID}#x`, `/v1/media/${ID}/thumbnail/x`,
    '/v1/media/m_O2DPFLJYK7VBHSD67JG4SY2I2S', '/v1/media/m_o2dpfljyk7vbhsd67jg4sy2i2', '/v1/media/m_o2dpfljyk7vbhsd67jg4sy2i2ss',
    '/v1/media/m_o2dpfljyk7vbhsd67jg4sy2i21', '/v1/media/x_o2dpfljyk7vbhsd67jg4sy2i2s',
    `/v1/media/${ID}/../../users/me`, `/v1/media/../users/me`, `/v1/media/${ID}%2fthumbnail`,
    `https://evil.example/v1/media/${ID}`, `//evil.example/v1/media/${ID}`, `http://chat.example/v1/media/${ID}`,
    `https://user:pw@chat.example/v1/media/${ID}`, `https://chat.example:444/v1/media/${ID}`,
    `javascript:alert(1)`, `data:text/html,x`, `blob:${O}/abc`, '', null, undefined, 42, {}, 'x'.repeat(5000),
  ]) assert.equal(mediaPath(url, O), null, String(url));
});

test('dot segments resolve before the check', () => {
  // `/v1/x/../media/<id>` is the media path once resolved: fine, it is what would be fetched.
  assert.equal(mediaPath(`/v1/x/../media/${ID}`, O), `/v1/media/${ID}`);
});

test('external links are http(s) only', () => {
  assert.equal(externalUrl('https://a.example/x', O + '/'), 'https://a.example/x');
  assert.equal(externalUrl('http://a.example/', O + '/'), 'http://a.example/');
  assert.equal(externalUrl('javascript:alert(1)', O + '/'), null);
  assert.equal(externalUrl('data:text/html,x', O + '/'), null);
  assert.equal(externalUrl(undefined, O + '/'), null);
});

function cache(max = 3, bytes = 1000, shown = new Set()) {
  const revoked = [];
  const c = new BlobCache({ maxEntries: max, maxBytes: bytes, revoke: (u) => revoked.push(u), inUse: (u) => shown.has(u) });
  return { c, revoked, shown };
}
const blob = (url, bytes = 10) => Promise.resolve({ url, bytes });

test('the cache evicts the least recently used and revokes what it drops', async () => {
  const { c, revoked } = cache(2);
  await c.put('a', blob('blob:a'));
  await c.put('b', blob('blob:b'));
  await c.get('a'); // a is now the most recent
  await c.put('c', blob('blob:c'));
  assert.deepEqual(revoked, ['blob:b']);
  assert.ok(c.has('a') && c.has('c') && !c.has('b'));
});

test('the cache keeps URLs still shown, bounds bytes, and clear revokes all it owns', async () => {
  const { c, revoked, shown } = cache(10, 100);
  shown.add('blob:big1');
  await c.put('big1', blob('blob:big1', 60));
  await c.put('big2', blob('blob:big2', 60));
  // Over 100 bytes: big1 is older but on screen, so big2 goes.
  assert.deepEqual(revoked, ['blob:big2']);
  await c.put('mine', blob('blob:mine', 0), false);
  c.clear();
  assert.deepEqual(revoked, ['blob:big2', 'blob:big1']);
  assert.equal(c.bytes, 0);
});

test('a load finishing after clear() is revoked, not cached', async () => {
  const { c, revoked } = cache();
  let done;
  const p = c.put('late', new Promise((r) => { done = r; }));
  c.clear();
  done({ url: 'blob:late', bytes: 5 });
  await p;
  assert.deepEqual(revoked, ['blob:late']);
  assert.ok(!c.has('late'));
});

test('a failed load is forgotten (tried again next time)', async () => {
  const { c } = cache();
  await assert.rejects(c.put('x', Promise.reject(new Error('404'))));
  assert.ok(!c.has('x'));
});
