// The WebSocket connection: a pure state machine (events in, actions out, no I/O, no clock, no
// randomness of its own) and a thin driver that performs its actions on a real WebSocket and
// timers. Keeping the decisions pure makes backoff, heartbeat and close-code handling easy to
// reason about and to test without a browser.

/**
 * @typedef {'idle' | 'connecting' | 'open' | 'backoff' | 'stopped'} MachineState
 * @typedef {'online' | 'connecting' | 'offline'} PublicState
 *
 * @typedef {{type: 'start'}
 *   | {type: 'stop'}
 *   | {type: 'socketClosed', code: number}
 *   | {type: 'frame', now: number, frameType: string, heartbeatInterval?: number, kickedReason?: string}
 *   | {type: 'timer', name: TimerName, now: number}
 *   | {type: 'networkOnline'}
 *   | {type: 'networkOffline'}
 *   | {type: 'wake'}} MachineEvent
 *
 * @typedef {'reconnect' | 'handshake' | 'heartbeat'} TimerName
 *
 * @typedef {{type: 'openSocket'}
 *   | {type: 'closeSocket', code: number}
 *   | {type: 'sendPing'}
 *   | {type: 'startTimer', name: TimerName, ms: number}
 *   | {type: 'cancelTimer', name: TimerName}
 *   | {type: 'state', state: PublicState}
 *   | {type: 'connected'}
 *   | {type: 'disconnected'}
 *   | {type: 'kicked', reason: string}} MachineAction
 */

const BACKOFF_BASE_MS = 500;
// Capped low: a chat that stays "offline" for half a minute after the network is back feels
// broken, and the jitter still spreads a node's clients over the window.
const BACKOFF_MAX_MS = 8_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;

export class ConnectionMachine {
  /** @param {() => number} random a [0, 1) source, injected so the machine stays deterministic in tests */
  constructor(random = Math.random) {
    /** @type {MachineState} */
    this.state = 'idle';
    this.random = random;
    /** Failed attempts since the last good session: drives the backoff. */
    this.attempt = 0;
    this.heartbeatMs = 30_000;
    this.lastReceived = 0;
    /** @type {string | null} */
    this.kickedReason = null;
    /** @type {PublicState} */
    this.published = 'offline';
  }

  /** @returns {PublicState} */
  publicState() {
    if (this.state === 'open') return 'online';
    if (this.state === 'connecting') return 'connecting';
    return 'offline';
  }

  /**
   * @param {MachineEvent} ev
   * @returns {MachineAction[]}
   */
  handle(ev) {
    const actions = this.step(ev);
    const now = this.publicState();
    if (now !== this.published) {
      this.published = now;
      actions.push({ type: 'state', state: now });
    }
    return actions;
  }

  /**
   * @param {MachineEvent} ev
   * @returns {MachineAction[]}
   */
  step(ev) {
    switch (ev.type) {
      case 'start':
        if (this.state === 'idle' || this.state === 'stopped' || this.state === 'backoff') {
          this.kickedReason = null;
          this.attempt = 0;
          return [{ type: 'cancelTimer', name: 'reconnect' }, ...this.connect()];
        }
        return [];
      case 'stop': {
        const wasLive = this.state === 'open' || this.state === 'connecting';
        this.state = 'stopped';
        return [...this.cancelAll(), ...(wasLive ? [/** @type {MachineAction} */ ({ type: 'closeSocket', code: 1000 })] : []), { type: 'disconnected' }];
      }
      case 'frame':
        if (this.state !== 'connecting' && this.state !== 'open') return [];
        this.lastReceived = ev.now;
        if (ev.frameType === 'connected' && this.state === 'connecting') {
          this.state = 'open';
          this.attempt = 0;
          if (ev.heartbeatInterval && ev.heartbeatInterval > 0) this.heartbeatMs = ev.heartbeatInterval * 1000;
          return [
            { type: 'cancelTimer', name: 'handshake' },
            { type: 'startTimer', name: 'heartbeat', ms: this.heartbeatMs },
            { type: 'connected' },
          ];
        }
        if (ev.kickedReason) this.kickedReason = ev.kickedReason;
        return [];
      case 'socketClosed': {
        if (this.state === 'stopped' || this.state === 'idle' || this.state === 'backoff') return [];
        const wasOpen = this.state === 'open';
        // 4001: kicked (replaced, logout, password change, ban…): never reconnect on our own.
        if (ev.code === 4001 || this.kickedReason) {
          this.state = 'stopped';
          return [...this.cancelAll(), { type: 'disconnected' }, { type: 'kicked', reason: this.kickedReason || 'replaced' }];
        }
        // 1012: the node drains; go elsewhere at once (tiny jitter so a whole node's clients spread).
        const delay = ev.code === 1012 ? Math.floor(this.random() * 1000) : this.backoff(wasOpen);
        return [...this.cancelAll(), ...(wasOpen ? [/** @type {MachineAction} */ ({ type: 'disconnected' })] : []), ...this.wait(delay)];
      }
      case 'timer':
        if (ev.name === 'reconnect' && this.state === 'backoff') return this.connect();
        if (ev.name === 'handshake' && this.state === 'connecting') {
          return [{ type: 'closeSocket', code: 4000 }, ...this.wait(this.backoff(false))];
        }
        if (ev.name === 'heartbeat' && this.state === 'open') {
          // Nothing heard for two heartbeats (our pings get pongs): the peer is gone.
          if (ev.now - this.lastReceived > this.heartbeatMs * 2 + 5_000) {
            return [{ type: 'cancelTimer', name: 'heartbeat' }, { type: 'closeSocket', code: 4000 }, { type: 'disconnected' }, ...this.wait(this.backoff(true))];
          }
          return [{ type: 'sendPing' }, { type: 'startTimer', name: 'heartbeat', ms: this.heartbeatMs }];
        }
        return [];
      case 'networkOnline':
      case 'wake':
        // The browser says the network is back (or the tab woke up): skip the rest of the wait.
        if (this.state === 'backoff') { this.attempt = 0; return [{ type: 'cancelTimer', name: 'reconnect' }, ...this.connect()]; }
        if (this.state === 'open' && ev.type === 'wake') return [{ type: 'sendPing' }];
        return [];
      case 'networkOffline':
        if (this.state === 'open' || this.state === 'connecting') {
          const wasOpen = this.state === 'open';
          return [...this.cancelAll(), { type: 'closeSocket', code: 4000 }, ...(wasOpen ? [/** @type {MachineAction} */ ({ type: 'disconnected' })] : []), ...this.wait(this.backoff(false))];
        }
        return [];
    }
    return [];
  }

  /** @returns {MachineAction[]} */
  connect() {
    this.state = 'connecting';
    return [{ type: 'openSocket' }, { type: 'startTimer', name: 'handshake', ms: HANDSHAKE_TIMEOUT_MS }];
  }

  /** @param {number} ms @returns {MachineAction[]} */
  wait(ms) {
    this.state = 'backoff';
    return [{ type: 'startTimer', name: 'reconnect', ms }];
  }

  /** @returns {MachineAction[]} */
  cancelAll() {
    return [
      { type: 'cancelTimer', name: 'handshake' },
      { type: 'cancelTimer', name: 'heartbeat' },
      { type: 'cancelTimer', name: 'reconnect' },
    ];
  }

  /**
   * Exponential backoff with "equal jitter": half fixed, half random, capped.
   * A session that was open retries quickly the first time (a blip), then backs off.
   * @param {boolean} wasOpen
   */
  backoff(wasOpen) {
    const n = wasOpen ? 0 : this.attempt;
    this.attempt = Math.min(this.attempt + 1, 16);
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** n);
    return Math.floor(cap / 2 + this.random() * (cap / 2));
  }
}

/**
 * @typedef {Object} ConnectionHooks
 * @property {() => Promise<string>} token a valid access token
 * @property {string} deviceId
 * @property {(frame: any) => void} onFrame every server frame
 * @property {(state: PublicState) => void} onState
 * @property {() => void} onConnected after `connected`
 * @property {() => void} onDisconnected
 * @property {(reason: string) => void} onKicked
 * @property {() => void} onAuthSuspect several failed upgrades in a row: maybe the token is bad
 */

/** Performs the machine's actions on a WebSocket and timers; correlates request ids. */
export class Connection {
  /** @param {ConnectionHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.machine = new ConnectionMachine();
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {Map<TimerName, number>} */
    this.timers = new Map();
    /** @type {Map<string, {resolve: (d: any) => void, reject: (e: any) => void, timer: number}>} */
    this.pending = new Map();
    this.seq = 0;
    this.failures = 0;
    /** Bumped per socket so events of an abandoned socket are ignored. */
    this.generation = 0;
    window.addEventListener('online', () => this.dispatch({ type: 'networkOnline' }));
    window.addEventListener('offline', () => this.dispatch({ type: 'networkOffline' }));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.dispatch({ type: 'wake' }); });
  }

  get state() { return this.machine.publicState(); }
  get isOpen() { return this.machine.state === 'open' && this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  start() { this.dispatch({ type: 'start' }); }
  stop() { this.dispatch({ type: 'stop' }); }

  /** @param {MachineEvent} ev */
  dispatch(ev) {
    for (const action of this.machine.handle(ev)) this.perform(action);
  }

  /** @param {MachineAction} a */
  perform(a) {
    switch (a.type) {
      case 'openSocket': this.open(); break;
      case 'closeSocket': this.close(a.code); break;
      case 'sendPing': this.send({ type: 'ping' }); break;
      case 'startTimer': {
        clearTimeout(this.timers.get(a.name));
        const name = a.name;
        this.timers.set(name, window.setTimeout(() => { this.timers.delete(name); this.dispatch({ type: 'timer', name, now: Date.now() }); }, a.ms));
        break;
      }
      case 'cancelTimer': clearTimeout(this.timers.get(a.name)); this.timers.delete(a.name); break;
      case 'state': this.hooks.onState(a.state); break;
      case 'connected': this.failures = 0; this.hooks.onConnected(); break;
      case 'disconnected': this.failAll(); this.hooks.onDisconnected(); break;
      case 'kicked': this.failAll(); this.hooks.onKicked(a.reason); break;
    }
  }

  async open() {
    const gen = ++this.generation;
    let token;
    try {
      token = await this.hooks.token();
    } catch {
      if (gen === this.generation) this.dispatch({ type: 'socketClosed', code: 1006 });
      return;
    }
    if (gen !== this.generation || this.machine.state !== 'connecting') return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/v1/ws?deviceId=${encodeURIComponent(this.hooks.deviceId)}&platform=web&access_token=${encodeURIComponent(token)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.dispatch({ type: 'socketClosed', code: 1006 });
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => { opened = true; });
    ws.addEventListener('message', (e) => {
      if (gen !== this.generation) return;
      let frame;
      try { frame = JSON.parse(String(e.data)); } catch { return; }
      const kicked = frame.type === 'notification' && frame.data && frame.data.notificationType === 'kicked';
      this.dispatch({
        type: 'frame', now: Date.now(), frameType: frame.type,
        heartbeatInterval: frame.type === 'connected' ? frame.data.heartbeatInterval : undefined,
        kickedReason: kicked ? String((frame.data.actionData && frame.data.actionData.reason) || 'replaced') : undefined,
      });
      this.resolve(frame);
      this.hooks.onFrame(frame);
    });
    ws.addEventListener('close', (e) => {
      if (gen !== this.generation) return;
      this.ws = null;
      // An upgrade refused with 401 looks like a plain failure to a browser; after a few in a
      // row let the app check the token over HTTP (which refreshes or logs out).
      if (!opened && ++this.failures % 3 === 0) this.hooks.onAuthSuspect();
      this.dispatch({ type: 'socketClosed', code: e.code });
    });
  }

  /** @param {number} code */
  close(code) {
    this.generation++;
    const ws = this.ws;
    this.ws = null;
    if (ws) { try { ws.close(code === 4000 || code === 1000 ? 1000 : code); } catch { /* already closed */ } }
  }

  /**
   * Fire-and-forget send. Returns false when the socket is not open.
   * @param {any} frame
   */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Sends a frame with a fresh requestId and resolves with the reply's `data` (rejects with the
   * `error` frame's data, or `{code: 'disconnected'}` / `{code: 'timeout'}`).
   * @param {string} type
   * @param {any} data
   * @param {number} [timeoutMs]
   * @returns {Promise<any>}
   */
  request(type, data, timeoutMs = 15_000) {
    const requestId = 'r' + (++this.seq).toString(36) + '-' + Date.now().toString(36);
    return new Promise((resolve, reject) => {
      if (!this.isOpen) { reject({ code: 'disconnected', message: 'offline' }); return; }
      const timer = window.setTimeout(() => { this.pending.delete(requestId); reject({ code: 'timeout', message: 'no answer' }); }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      this.send({ type, requestId, data });
    });
  }

  /** @param {any} frame */
  resolve(frame) {
    if (!frame.requestId) return;
    const p = this.pending.get(frame.requestId);
    if (!p) return;
    this.pending.delete(frame.requestId);
    clearTimeout(p.timer);
    if (frame.type === 'error') p.reject(frame.data || { code: 'internal' });
    else p.resolve(frame.data);
  }

  failAll() {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject({ code: 'disconnected', message: 'connection lost' });
      this.pending.delete(id);
    }
  }
}
