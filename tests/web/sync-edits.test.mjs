// Unit tests of the catch-up edit de-duplication (no browser): `node --test tests/web/`
import test from 'node:test';
import assert from 'node:assert/strict';
import { editTargets } from '../../Sources/ParleyWeb/App/sync.js';

const edit = (seq, target) => ({ seq, messageId: `e${seq}`, contentType: 'edit', content: { messageId: target } });
const recall = (seq, target) => ({ seq, messageId: `r${seq}`, contentType: 'recall', content: { messageId: target } });
const text = (seq, id) => ({ seq, messageId: id, contentType: 'text', content: { text: 'hi' } });

test('120 edits of one message ask once', () => {
  const page = Array.from({ length: 120 }, (_, i) => edit(i + 10, 'm1'));
  assert.deepEqual(editTargets(page), ['m1']);
});

test('one look-up per edited message, in order of first mention', () => {
  assert.deepEqual(editTargets([edit(1, 'b'), edit(2, 'a'), edit(3, 'b'), edit(4, 'c'), edit(5, 'a')]), ['b', 'a', 'c']);
});

test('no look-up for a message recalled in the same page, or carried by it', () => {
  assert.deepEqual(editTargets([edit(1, 'a'), recall(2, 'a'), edit(3, 'b')]), ['b']);
  assert.deepEqual(editTargets([text(1, 'a'), edit(2, 'a'), edit(3, 'b')]), ['b']);
});

test('items without a target are ignored', () => {
  assert.deepEqual(editTargets([{ contentType: 'edit', content: null }, { contentType: 'edit', content: { messageId: 5 } }, text(1, 'x')]), []);
});
