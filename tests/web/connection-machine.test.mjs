// Unit tests of the pure connection state machine (no browser needed): `node --test tests/web/`
import test from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionMachine } from '../../Sources/ParleyWeb/App/connection.js';

const types = (actions) => actions.map((a) => a.type + (a.name ? ':' + a.name : '') + (a.state ? ':' + a.state : ''));

test('start opens a socket and reports connecting', () => {
  const m = new ConnectionMachine(() => 0.5);
  assert.deepEqual(types(m.handle({ type: 'start' })), ['cancelTimer:reconnect', 'openSocket', 'startTimer:handshake', 'state:connecting']);
});

test('connected frame goes online and starts the heartbeat at the server interval', () => {
  const m = new ConnectionMachine(() => 0.5);
  m.handle({ type: 'start' });
  const a = m.handle({ type: 'frame', now: 1000, frameType: 'connected', heartbeatInterval: 20 });
  assert.deepEqual(types(a), ['cancelTimer:handshake', 'startTimer:heartbeat', 'connected', 'state:online']);
  assert.equal(a.find((x) => x.type === 'startTimer').ms, 20_000);
});

test('a failed attempt backs off exponentially with jitter, capped', () => {
  const m = new ConnectionMachine(() => 1 - Number.EPSILON);
  m.handle({ type: 'start' });
  const delays = [];
  for (let i = 0; i < 10; i++) {
    const a = m.handle({ type: 'socketClosed', code: 1006 });
    delays.push(a.find((x) => x.type === 'startTimer').ms);
    m.handle({ type: 'timer', name: 'reconnect', now: 0 });
  }
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i] >= delays[i - 1]);
  assert.ok(delays[0] < 1000);
  assert.ok(delays.at(-1) <= 8_000);
  assert.equal(m.publicState(), 'connecting');
});

test('4001 (kicked) stops without reconnecting', () => {
  const m = new ConnectionMachine(() => 0.5);
  m.handle({ type: 'start' });
  m.handle({ type: 'frame', now: 0, frameType: 'connected' });
  m.handle({ type: 'frame', now: 1, frameType: 'notification', kickedReason: 'logout' });
  const a = m.handle({ type: 'socketClosed', code: 4001 });
  assert.ok(types(a).includes('kicked'));
  assert.ok(!types(a).includes('startTimer:reconnect'));
  assert.equal(m.state, 'stopped');
});

test('1012 (drain) reconnects within a second', () => {
  const m = new ConnectionMachine(() => 0.9);
  m.handle({ type: 'start' });
  m.handle({ type: 'frame', now: 0, frameType: 'connected' });
  const a = m.handle({ type: 'socketClosed', code: 1012 });
  assert.ok(a.find((x) => x.type === 'startTimer' && x.name === 'reconnect').ms < 1000);
});

test('heartbeat pings while alive, closes when the peer went silent', () => {
  const m = new ConnectionMachine(() => 0.5);
  m.handle({ type: 'start' });
  m.handle({ type: 'frame', now: 0, frameType: 'connected', heartbeatInterval: 30 });
  assert.deepEqual(types(m.handle({ type: 'timer', name: 'heartbeat', now: 30_000 })), ['sendPing', 'startTimer:heartbeat']);
  const dead = types(m.handle({ type: 'timer', name: 'heartbeat', now: 70_000 }));
  assert.ok(dead.includes('closeSocket') && dead.includes('startTimer:reconnect') && dead.includes('state:offline'));
});

test('network back skips the remaining backoff', () => {
  const m = new ConnectionMachine(() => 0.5);
  m.handle({ type: 'start' });
  m.handle({ type: 'socketClosed', code: 1006 });
  assert.equal(m.state, 'backoff');
  assert.ok(types(m.handle({ type: 'networkOnline' })).includes('openSocket'));
});
