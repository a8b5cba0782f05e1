// A local Discord that speaks the real protocol, so discord.js and @discordjs/rest run unmodified
// (DISCORD_API_URL=<fake.apiUrl>; discord.js finds the gateway through GET /gateway/bot):
//   Gateway (JSON encoding, no transport compression — what discord.js asks for without
//   zlib-sync): op 10 HELLO → op 2 IDENTIFY → READY dispatch; op 1 heartbeats ← op 11 ACKs;
//   op 6 RESUME → RESUMED; INTERACTION_CREATE dispatched on demand.
//   REST v10: interaction callbacks (3-second deadline, acknowledged once), webhook messages
//   (@original edit/get/delete, follow-ups; multipart with payload_json + files[n]), channel
//   messages (bot token, nonce/enforce_nonce deduplication), application command overwrite.
// Every request is recorded; `fail()` injects 429s (Retry-After) and 5xx.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { RecordingServer, type RecordedRequest, type Reply } from './recording-server.ts';

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;
export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) % 4096n;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  /** HELLO's heartbeat_interval; short in tests so heartbeats actually happen. */
  heartbeatIntervalMs?: number;
  /** Real Discord forgets an interaction not answered within 3 s. */
  interactionDeadlineMs?: number;
  /** Real interaction tokens last 15 minutes. */
  tokenLifetimeMs?: number;
}

export interface InteractionInput {
  command: string;
  options?: Record<string, string | number | boolean>;
  channelId?: string;
  guildId?: string | null;
  user?: { id: string; username: string };
  /** The interaction's attachment_size_limit; omitted from the payload when null. */
  attachmentSizeLimit?: number | null;
  /** A subcommand (`/digest subscribe`): the options are sent nested under it, as Discord does. */
  subcommand?: string;
  /** The member's permissions in the channel (a bitfield as a decimal string); default: a plain member. */
  permissions?: string;
}

/** What a plain member gets in the fake guild: no Administrator, Manage Channels or Manage Server. */
export const MEMBER_PERMISSIONS = '2248473465835073';
/** Permission bits (Discord docs: Permissions). */
export const PERMISSION = { administrator: 1n << 3n, manageChannels: 1n << 4n, manageGuild: 1n << 5n } as const;

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: any[];
  attachments: { id: string; filename: string; size: number; content_type: string; data: Buffer; description?: string }[];
  flags: number;
  allowed_mentions?: unknown;
  nonce?: string;
}

interface InteractionState {
  id: string;
  token: string;
  channelId: string;
  createdAt: number;
  acknowledged: boolean;
  callbackType?: number;
  expired: boolean;
  original?: FakeMessage;
  deleted: boolean;
  followUps: FakeMessage[];
}

const OPTION_TYPE = { string: 3, integer: 4, boolean: 5, number: 10 } as const;

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser = { id: snowflake(), username: 'substack-lab', discriminator: '0', global_name: null, avatar: null, bot: true };
  readonly http: RecordingServer;
  readonly identifies: any[] = [];
  heartbeats = 0;
  readonly interactions = new Map<string, InteractionState>();
  readonly channelMessages: FakeMessage[] = [];
  /** The last application-command overwrite per scope ("global" or a guild id). */
  readonly commands = new Map<string, any[]>();

  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private seq = 0;
  private readonly opts: Required<Omit<FakeDiscordOptions, 'token' | 'applicationId'>>;

  private constructor(opts: FakeDiscordOptions) {
    this.token = opts.token ?? `fake-bot-token-${randomBytes(6).toString('hex')}`;
    this.applicationId = opts.applicationId ?? snowflake();
    this.opts = {
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
      interactionDeadlineMs: opts.interactionDeadlineMs ?? 3_000,
      tokenLifetimeMs: opts.tokenLifetimeMs ?? 15 * 60_000,
    };
    this.http = new RecordingServer((req, reply) => this.route(req, reply));
    this.http.server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
      if (!req.url?.startsWith('/gateway')) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws, req));
    });
  }

  static async start(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const d = new FakeDiscord(opts);
    await d.http.listen();
    return d;
  }

  /** The value for DISCORD_API_URL (discord.js appends /v10). */
  get apiUrl(): string {
    return `${this.http.base}/api`;
  }
  get gatewayUrl(): string {
    return `${this.http.base.replace(/^http/, 'ws')}/gateway`;
  }
  get requests(): RecordedRequest[] {
    return this.http.requests;
  }
  /** Clients that have identified (i.e. a bot is connected and READY was sent). */
  get connectedClients(): number {
    return [...this.sockets].filter((s) => (s as WebSocket & { identified?: boolean }).identified).length;
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
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    await this.http.close();
  }

  /** A user runs a slash command: send INTERACTION_CREATE to every connected bot. */
  dispatchInteraction(input: InteractionInput): { id: string; token: string } {
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`;
    const channelId = input.channelId ?? '100000000000000001';
    const guildId = input.guildId === undefined ? '200000000000000001' : input.guildId;
    const user = { id: input.user?.id ?? '300000000000000001', username: input.user?.username ?? 'reader', discriminator: '0', global_name: null, avatar: null };
    this.interactions.set(token, { id, token, channelId, createdAt: Date.now(), acknowledged: false, expired: false, deleted: false, followUps: [] });

    const values = Object.entries(input.options ?? {}).map(([name, value]) => ({
      name,
      type: typeof value === 'string' ? OPTION_TYPE.string : typeof value === 'boolean' ? OPTION_TYPE.boolean : Number.isInteger(value) ? OPTION_TYPE.integer : OPTION_TYPE.number,
      value,
    }));
    const options = input.subcommand ? [{ name: input.subcommand, type: 1 /* SUB_COMMAND */, options: values }] : values;
    const d: Record<string, unknown> = {
      id,
      application_id: this.applicationId,
      type: 2, // APPLICATION_COMMAND
      data: { id: snowflake(), name: input.command, type: 1, options },
      channel_id: channelId,
      channel: { id: channelId, type: guildId ? 0 : 1, name: 'study-group' },
      token,
      version: 1,
      locale: 'en-US',
      app_permissions: '2248473465835073',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId ?? user.id },
      context: guildId ? 0 : 1,
    };
    if (input.attachmentSizeLimit !== null) d.attachment_size_limit = input.attachmentSizeLimit ?? 10 * 1024 * 1024;
    if (guildId) {
      d.guild_id = guildId;
      d.guild_locale = 'en-US';
      d.member = { user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, permissions: input.permissions ?? MEMBER_PERMISSIONS, nick: null, avatar: null };
    } else {
      d.user = user;
    }
    this.broadcast({ op: 0, t: 'INTERACTION_CREATE', d });
    return { id, token };
  }

  /** Make an interaction token stale, as 15 minutes passing would. */
  expireToken(token: string): void {
    const s = this.interactions.get(token);
    if (s) s.expired = true;
  }

  interaction(token: string): InteractionState {
    const s = this.interactions.get(token);
    if (!s) throw new Error(`no interaction with token ${token.slice(0, 12)}…`);
    return s;
  }

  // ── Gateway ──────────────────────────────────────────────────────────────────────────────

  private onGateway(ws: WebSocket, req: http.IncomingMessage): void {
    const q = new URL(req.url ?? '/', 'http://fake').searchParams;
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    // Only what discord.js negotiates without optional native modules is spoken here.
    if ((q.get('encoding') ?? 'json') !== 'json' || q.get('compress')) {
      ws.close(4002, 'fake Discord speaks encoding=json without transport compression only');
      return;
    }
    const send = (payload: unknown) => ws.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: this.opts.heartbeatIntervalMs }, s: null, t: null });
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { op: number; d: any };
      switch (msg.op) {
        case 1: // HEARTBEAT
          this.heartbeats++;
          send({ op: 11, d: null, s: null, t: null });
          break;
        case 2: // IDENTIFY
          this.identifies.push(msg.d);
          if (msg.d?.token !== this.token && msg.d?.token !== `Bot ${this.token}`) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          (ws as WebSocket & { identified?: boolean }).identified = true;
          send({
            op: 0,
            t: 'READY',
            s: ++this.seq,
            d: {
              v: 10,
              user: this.botUser,
              guilds: [],
              session_id: randomBytes(16).toString('hex'),
              resume_gateway_url: this.gatewayUrl,
              shard: msg.d.shard ?? [0, 1],
              application: { id: this.applicationId, flags: 0 },
              private_channels: [],
              presences: [],
              relationships: [],
              user_settings: {},
              auth: {},
              guild_join_requests: [],
              geo_ordered_rtc_regions: [],
            },
          });
          break;
        case 6: // RESUME
          (ws as WebSocket & { identified?: boolean }).identified = true;
          send({ op: 0, t: 'RESUMED', s: ++this.seq, d: {} });
          break;
        default:
          break; // presence/voice updates: not used by the bot
      }
    });
  }

  private broadcast(payload: { op: number; t: string; d: unknown }): void {
    const data = JSON.stringify({ ...payload, s: ++this.seq });
    for (const ws of this.sockets) if ((ws as WebSocket & { identified?: boolean }).identified) ws.send(data);
  }

  // ── REST ─────────────────────────────────────────────────────────────────────────────────

  private route(req: RecordedRequest, reply: Reply): void {
    const v = req.path.replace(/^\/api\/v\d+/, '');
    if (v === req.path) return reply.json(404, { message: '404: Not Found', code: 0 });
    let g: RegExpExecArray | null;

    if (req.method === 'GET' && (v === '/gateway/bot' || v === '/gateway')) {
      if (v === '/gateway/bot' && !this.botAuthorized(req)) return reply.json(401, { message: '401: Unauthorized', code: 0 });
      return reply.json(200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (req.method === 'GET' && v === '/users/@me') {
      if (!this.botAuthorized(req)) return reply.json(401, { message: '401: Unauthorized', code: 0 });
      return reply.json(200, this.botUser);
    }
    if (req.method === 'GET' && v === '/applications/@me') {
      if (!this.botAuthorized(req)) return reply.json(401, { message: '401: Unauthorized', code: 0 });
      return reply.json(200, { id: this.applicationId, name: 'substack-lab', bot: this.botUser, flags: 0 });
    }
    if ((g = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(v)) && req.method === 'POST') return this.callback(g[1]!, g[2]!, req, reply);
    if ((g = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(v))) return this.original(g[1]!, g[2]!, req, reply);
    if ((g = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(v)) && req.method === 'POST') return this.followUp(g[1]!, g[2]!, req, reply);
    if ((g = /^\/channels\/(\d+)\/messages$/.exec(v)) && req.method === 'POST') return this.channelMessage(g[1]!, req, reply);
    if ((g = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(v)) && req.method === 'PUT') {
      if (!this.botAuthorized(req)) return reply.json(401, { message: '401: Unauthorized', code: 0 });
      if (g[1] !== this.applicationId) return reply.json(403, { message: 'Missing Access', code: 50001 });
      const cmds = (req.json as any[]).map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake(), ...(g![2] ? { guild_id: g![2] } : {}) }));
      this.commands.set(g[2] ?? 'global', cmds);
      return reply.json(200, cmds);
    }
    reply.json(404, { message: `fake Discord has no ${req.method} ${v}`, code: 0 });
  }

  private botAuthorized(req: RecordedRequest): boolean {
    return req.headers.authorization === `Bot ${this.token}`;
  }

  private callback(id: string, token: string, req: RecordedRequest, reply: Reply): void {
    const s = this.interactions.get(token);
    if (!s || s.id !== id || Date.now() - s.createdAt > this.opts.interactionDeadlineMs) return reply.json(404, { message: 'Unknown interaction', code: 10062 });
    if (s.acknowledged) return reply.json(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    s.acknowledged = true;
    s.callbackType = req.json?.type;
    const flags = req.json?.data?.flags ?? 0;
    s.original = this.message(s.channelId, req, flags);
    if (req.query.get('with_response') === 'true') {
      return reply.json(200, { interaction: { id, type: 2, response_message_loading: s.callbackType === 5, response_message_ephemeral: (flags & 64) !== 0 }, resource: { type: s.callbackType, message: this.wire(s.original) } });
    }
    reply.send(204);
  }

  /** Interaction webhooks: valid while the token lives (then 401 Invalid Webhook Token). */
  private webhookState(app: string, token: string, reply: Reply): InteractionState | undefined {
    const s = this.interactions.get(token);
    if (app !== this.applicationId || !s) {
      reply.json(404, { message: 'Unknown Webhook', code: 10015 });
      return undefined;
    }
    if (s.expired || Date.now() - s.createdAt > this.opts.tokenLifetimeMs) {
      reply.json(401, { message: 'Invalid Webhook Token', code: 50027 });
      return undefined;
    }
    return s;
  }

  private original(app: string, token: string, req: RecordedRequest, reply: Reply): void {
    const s = this.webhookState(app, token, reply);
    if (!s) return;
    if (!s.original || s.deleted) return reply.json(404, { message: 'Unknown Message', code: 10008 });
    if (req.method === 'GET') return reply.json(200, this.wire(s.original));
    if (req.method === 'DELETE') {
      s.deleted = true;
      return reply.send(204);
    }
    if (req.method !== 'PATCH') return reply.json(405, { message: '405: Method Not Allowed', code: 0 });
    const body = req.json ?? {};
    const msg = s.original;
    if ('content' in body) msg.content = body.content ?? '';
    if ('embeds' in body) msg.embeds = body.embeds ?? [];
    if ('allowed_mentions' in body) msg.allowed_mentions = body.allowed_mentions;
    if ('attachments' in body || req.files.length > 0) msg.attachments = this.attachments(req);
    reply.json(200, this.wire(msg));
  }

  private followUp(app: string, token: string, req: RecordedRequest, reply: Reply): void {
    const s = this.webhookState(app, token, reply);
    if (!s) return;
    if (!s.acknowledged) return reply.json(404, { message: 'Unknown Webhook', code: 10015 });
    const msg = this.message(s.channelId, req, req.json?.flags ?? 0);
    s.followUps.push(msg);
    reply.json(200, this.wire(msg));
  }

  private channelMessage(channelId: string, req: RecordedRequest, reply: Reply): void {
    if (!this.botAuthorized(req)) return reply.json(401, { message: '401: Unauthorized', code: 0 });
    const nonce = req.json?.nonce;
    if (nonce !== undefined && req.json?.enforce_nonce) {
      const dup = this.channelMessages.find((x) => x.channel_id === channelId && x.nonce === String(nonce));
      if (dup) return reply.json(200, this.wire(dup)); // Discord answers with the first message
    }
    const msg = this.message(channelId, req, req.json?.flags ?? 0);
    this.channelMessages.push(msg);
    reply.json(200, this.wire(msg));
  }

  private message(channelId: string, req: RecordedRequest, flags: number): FakeMessage {
    const body = req.json?.data ?? req.json ?? {};
    return {
      id: snowflake(),
      channel_id: channelId,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      attachments: this.attachments(req),
      flags,
      allowed_mentions: body.allowed_mentions,
      nonce: req.json?.nonce !== undefined ? String(req.json.nonce) : undefined,
    };
  }

  /** files[n] parts matched to the `attachments` entries by id, as Discord does. */
  private attachments(req: RecordedRequest): FakeMessage['attachments'] {
    const meta: any[] = req.json?.attachments ?? [];
    return req.files.map((f) => {
      const n = /^files\[(\d+)\]$/.exec(f.field)?.[1];
      const m = meta.find((a) => String(a.id) === n);
      return { id: snowflake(), filename: m?.filename ?? f.filename, size: f.data.length, content_type: f.contentType, data: f.data, description: m?.description };
    });
  }

  /** The message as Discord's JSON (what discord.js builds a Message from). */
  private wire(m: FakeMessage): unknown {
    return {
      id: m.id,
      type: 0,
      channel_id: m.channel_id,
      author: this.botUser,
      content: m.content,
      embeds: m.embeds,
      attachments: m.attachments.map(({ data: _data, ...a }) => ({ ...a, url: `${this.http.base}/attachments/${a.id}/${a.filename}`, proxy_url: `${this.http.base}/attachments/${a.id}/${a.filename}` })),
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: m.flags,
      components: [],
      application_id: this.applicationId,
      webhook_id: this.applicationId,
    };
  }
}
