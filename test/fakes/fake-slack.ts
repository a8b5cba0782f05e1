// A local Slack that speaks the real protocols, so @slack/bolt and @slack/web-api run unmodified
// (SLACK_API_URL=<fake.apiUrl>):
//   Web API (POST /api/<method>, form or JSON, Bearer token): auth.test, chat.postMessage (with
//   message metadata), chat.postEphemeral, users.info (roles from `users`),
//   files.getUploadURLExternal → POST <upload_url> (raw bytes) → files.completeUploadExternal
//   (shares the files in the channel/thread with the comment — every time it is called, as a
//   repeated call would on Slack), files.info (the file's shares: only completed uploads exist),
//   conversations.history / conversations.replies (metadata with include_all_metadata),
//   apps.connections.open (app token) → a ws:// Socket Mode URL on loopback. Scopes listed in
//   `missingScopes` answer missing_scope, as an app installed without them would.
//   response_url: POST /response/<id>, JSON, at most 5 uses, like Slack's.
//   Socket Mode: hello on connect, slash_commands envelopes, acks with response payloads, pings.
// It also plays Slack's side of HTTP mode: `signedSlashCommand` posts a slash command to the
// bot with a v0 signature (or a forged or stale one).
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { RecordingServer, type RecordedRequest, type Reply } from './recording-server.ts';

export interface SharedFile {
  id: string;
  filename: string;
  title?: string;
  alt_text?: string;
  data: Buffer;
}

/** Something that appeared in a channel: a chat.postMessage, or files shared with a comment. */
export interface PostedMessage {
  ts: string;
  channel: string;
  thread_ts?: string;
  text: string;
  files: SharedFile[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface SlashCommandFields {
  command?: string;
  text?: string;
  channel_id?: string;
  user_id?: string;
  user_name?: string;
  team_id?: string;
  thread_ts?: string;
}

const RESPONSE_URL_USES = 5;
let tsCounter = 0;
const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, '0')}`;

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly appId = `A${randomBytes(5).toString('hex').toUpperCase()}`;
  readonly teamId = 'T0LAB00001';
  readonly http: RecordingServer;
  readonly messages: PostedMessage[] = [];
  readonly ephemerals: { channel: string; user: string; text: string; thread_ts?: string }[] = [];
  /** Everything POSTed to each response_url, in order. */
  readonly responses = new Map<string, any[]>();
  readonly socketAcks: { envelope_id: string; payload?: any }[] = [];
  /** users.info answers: workspace roles by user id (anyone else is a plain member). */
  readonly users = new Map<string, { is_admin?: boolean; is_owner?: boolean; is_primary_owner?: boolean }>();

  /** Scopes the app "lacks": the methods that need them answer missing_scope. */
  readonly missingScopes = new Set<string>();

  private readonly uploads = new Map<string, { filename: string; length: number; alt_text?: string; data?: Buffer; title?: string; shares?: Record<string, { ts: string; thread_ts?: string }[]> }>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, (ack: { envelope_id: string; payload?: any }) => void>();
  private pingTimer?: NodeJS.Timeout;

  private constructor() {
    this.botToken = `xoxb-fake-${randomBytes(6).toString('hex')}`;
    this.appToken = `xapp-1-fake-${randomBytes(6).toString('hex')}`;
    this.signingSecret = randomBytes(16).toString('hex');
    this.http = new RecordingServer((req, reply) => this.route(req, reply));
    this.http.server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
      if (!req.url?.startsWith('/socket')) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  static async start(): Promise<FakeSlack> {
    const s = new FakeSlack();
    await s.http.listen();
    // Slack pings Socket Mode clients; the client treats a silent server as dead.
    s.pingTimer = setInterval(() => s.sockets.forEach((ws) => ws.ping()), 2_000);
    return s;
  }

  /** The value for SLACK_API_URL (the Web API base, ending with `/`). */
  get apiUrl(): string {
    return `${this.http.base}/api/`;
  }
  get requests(): RecordedRequest[] {
    return this.http.requests;
  }
  get socketClients(): number {
    return this.sockets.size;
  }

  fail(f: Parameters<RecordingServer['fail']>[0]): void {
    this.http.fail(f);
  }
  find(path: RegExp, method?: string): RecordedRequest[] {
    return this.http.find(path, method);
  }
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T> {
    return this.http.waitFor(predicate, timeoutMs, what);
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await this.http.close();
  }

  /** The form fields Slack sends for a slash command, with a fresh trigger_id and response_url. */
  slashCommand(f: SlashCommandFields = {}): Record<string, string> {
    const id = randomBytes(8).toString('hex');
    const fields: Record<string, string> = {
      token: 'deprecated-verification-token',
      team_id: f.team_id ?? this.teamId,
      team_domain: 'study-group',
      channel_id: f.channel_id ?? 'C0READING1',
      channel_name: 'reading-group',
      user_id: f.user_id ?? 'U0READER01',
      user_name: f.user_name ?? 'reader',
      command: f.command ?? '/lab',
      text: f.text ?? '',
      api_app_id: this.appId,
      is_enterprise_install: 'false',
      response_url: `${this.http.base}/response/${id}`,
      trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${id}`,
    };
    if (f.thread_ts) fields.thread_ts = f.thread_ts;
    return fields;
  }

  /** Deliver a slash command over Socket Mode; resolves with the app's ack (and its response payload). */
  sendSlashCommand(fields: Record<string, string>, timeoutMs = 5_000): Promise<{ envelope_id: string; payload?: any }> {
    const envelope_id = randomBytes(12).toString('hex');
    const envelope = { envelope_id, type: 'slash_commands', accepts_response_payload: true, payload: fields };
    const open = [...this.sockets].filter((ws) => ws.readyState === ws.OPEN);
    if (open.length === 0) return Promise.reject(new Error('no Socket Mode client connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for envelope within ${timeoutMs} ms`)), timeoutMs);
      this.pendingAcks.set(envelope_id, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      open[0]!.send(JSON.stringify(envelope));
    });
  }

  // ── Socket Mode ──────────────────────────────────────────────────────────────────────────

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: this.appId } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { envelope_id?: string; payload?: unknown };
      if (!msg.envelope_id) return;
      this.socketAcks.push(msg as { envelope_id: string });
      this.pendingAcks.get(msg.envelope_id)?.(msg as { envelope_id: string });
      this.pendingAcks.delete(msg.envelope_id);
    });
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────

  private route(req: RecordedRequest, reply: Reply): void {
    let g: RegExpExecArray | null;
    if ((g = /^\/api\/([\w.]+)$/.exec(req.path))) return this.webApi(g[1]!, req, reply);
    if ((g = /^\/upload\/(\w+)$/.exec(req.path)) && req.method === 'POST') return this.upload(g[1]!, req, reply);
    if ((g = /^\/response\/(\w+)$/.exec(req.path)) && req.method === 'POST') return this.responseUrl(req, reply);
    reply.send(404, 'Not Found');
  }

  private webApi(method: string, req: RecordedRequest, reply: Reply): void {
    const args: Record<string, any> = { ...req.form, ...req.json };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? args.token;
    const ok = (body: object = {}) => reply.json(200, { ok: true, ...body });
    const err = (error: string, extra: object = {}) => reply.json(200, { ok: false, error, ...extra });
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const scoped = (scope: string) => (this.missingScopes.has(scope) ? (err('missing_scope', { needed: scope, provided: 'chat:write,files:write' }), false) : true);

    if (method === 'apps.connections.open') {
      if (token !== this.appToken) return err(token?.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth');
      return ok({ url: `${this.http.base.replace(/^http/, 'ws')}/socket?ticket=${randomBytes(8).toString('hex')}` });
    }
    if (!token) return err('not_authed');
    if (token !== this.botToken) return err('invalid_auth');

    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://study-group.slack.com/', team: 'Study group', user: 'substack-lab', team_id: this.teamId, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', is_enterprise_install: false });
      case 'chat.postMessage': {
        if (!args.channel) return err('channel_not_found');
        if (!args.text && !args.blocks) return err('no_text');
        const m: PostedMessage = { ts: nextTs(), channel: args.channel, text: args.text ?? '', files: [] };
        if (args.thread_ts) m.thread_ts = args.thread_ts;
        if (args.metadata) m.metadata = parse(args.metadata);
        this.messages.push(m);
        return ok({ channel: m.channel, ts: m.ts, message: { type: 'message', text: m.text, ts: m.ts, bot_id: 'B0BOT00001' } });
      }
      case 'conversations.history':
      case 'conversations.replies': {
        if (!scoped('channels:history')) return;
        if (!args.channel) return err('channel_not_found');
        if (method === 'conversations.replies' && !args.ts) return err('thread_not_found');
        const oldest = Number(args.oldest ?? 0);
        const withMeta = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const found = this.messages
          .filter((m) => m.channel === args.channel && Number(m.ts) >= oldest)
          .filter((m) => (method === 'conversations.replies' ? m.ts === args.ts || m.thread_ts === args.ts : !m.thread_ts))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, bot_id: 'B0BOT00001', ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), ...(m.files.length ? { files: m.files.map((f) => ({ id: f.id, name: f.filename })) } : {}), ...(withMeta && m.metadata ? { metadata: m.metadata } : {}) }));
        return ok({ messages: method === 'conversations.history' ? found.reverse() : found, has_more: false });
      }
      case 'files.info': {
        if (!scoped('files:read')) return;
        const u = this.uploads.get(args.file);
        // An upload that was never completed is not a file yet.
        if (!u?.shares) return err('file_not_found');
        const channels = Object.keys(u.shares);
        return ok({ file: { id: args.file, name: u.filename, title: u.title ?? u.filename, mimetype: 'image/png', size: u.length, channels: channels.filter((c) => c.startsWith('C')), groups: channels.filter((c) => c.startsWith('G')), ims: channels.filter((c) => c.startsWith('D')), shares: { public: Object.fromEntries(Object.entries(u.shares).filter(([c]) => c.startsWith('C'))), private: Object.fromEntries(Object.entries(u.shares).filter(([c]) => !c.startsWith('C'))) } } });
      }
      case 'users.info': {
        if (!args.user) return err('user_not_found');
        const roles = this.users.get(args.user) ?? {};
        return ok({ user: { id: args.user, team_id: this.teamId, name: args.user.toLowerCase(), deleted: false, is_bot: false, is_admin: !!roles.is_admin, is_owner: !!roles.is_owner, is_primary_owner: !!roles.is_primary_owner } });
      }
      case 'chat.postEphemeral':
        if (!args.channel || !args.user) return err('invalid_arguments');
        this.ephemerals.push({ channel: args.channel, user: args.user, text: args.text ?? '', ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}) });
        return ok({ message_ts: nextTs() });
      case 'files.getUploadURLExternal': {
        const length = Number(args.length);
        if (!args.filename || !Number.isInteger(length) || length <= 0) return err('invalid_arguments');
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        this.uploads.set(id, { filename: args.filename, length, alt_text: args.alt_text });
        return ok({ upload_url: `${this.http.base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const files = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as { id: string; title?: string }[];
        const shared: SharedFile[] = [];
        for (const f of files ?? []) {
          const u = this.uploads.get(f.id);
          if (!u?.data) return err('file_not_found');
          shared.push({ id: f.id, filename: u.filename, title: f.title, alt_text: u.alt_text, data: u.data });
        }
        if (shared.length === 0) return err('invalid_arguments');
        const channel = args.channel_id ?? args.channels;
        const ts = nextTs();
        for (const f of files) {
          const u = this.uploads.get(f.id)!;
          u.title = f.title;
          u.shares ??= {};
          if (channel) (u.shares[channel] ??= []).push({ ts, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}) });
        }
        if (channel) {
          const m: PostedMessage = { ts, channel, text: args.initial_comment ?? '', files: shared };
          if (args.thread_ts) m.thread_ts = args.thread_ts;
          this.messages.push(m);
        }
        return ok({ files: shared.map((f) => ({ id: f.id, title: f.title ?? f.filename, name: f.filename })) });
      }
      default:
        return err('unknown_method');
    }
  }

  /**
   * The upload URL takes the bytes raw or as a multipart file part (as @slack/web-api sends
   * them); their length must match what getUploadURLExternal announced.
   */
  private upload(id: string, req: RecordedRequest, reply: Reply): void {
    const u = this.uploads.get(id);
    if (!u) return reply.send(404, 'upload not found');
    const data = req.headers['content-type']?.startsWith('multipart/form-data') ? req.files[0]?.data : req.raw;
    if (!data || data.length !== u.length) return reply.send(400, `expected ${u.length} bytes, got ${data?.length ?? 0}`);
    u.data = data;
    reply.send(200, `OK - ${data.length}`);
  }

  private responseUrl(req: RecordedRequest, reply: Reply): void {
    const list = this.responses.get(req.path) ?? [];
    if (list.length >= RESPONSE_URL_USES) return reply.send(404, 'used_url');
    list.push(req.json);
    this.responses.set(req.path, list);
    reply.send(200, 'ok');
  }

  /** What was sent to a slash command's response_url. */
  responsesTo(responseUrl: string): any[] {
    return this.responses.get(new URL(responseUrl).pathname) ?? [];
  }
}

export interface SignedPostOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Sign with this secret instead (a forgery). */
  secret?: string;
}

/** Slack's v0 request signature: HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Keep-alive, unbounded: Slack's side of the conversation should never be the bottleneck. */
const slackSide = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** POST a slash command to the bot's /slack/events as Slack does (form body, signed headers). */
export function signedSlashCommand(url: string, signingSecret: string, fields: Record<string, string>, opts: SignedPostOptions = {}): Promise<{ status: number; body: any; ms: number }> {
  const body = new URLSearchParams(fields).toString();
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(opts.secret ?? signingSecret, timestamp, body),
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'POST', agent: slackSide, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
