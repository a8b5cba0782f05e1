// The playground page: a chat channel in the browser. Commands go to POST /api/command; every
// message (what was typed, progress, results, replies, digests) comes back over one
// Server-Sent Events stream per session, which the server replays from the start on a reload.
// Plain JavaScript, no build step.

const SESSION_KEY = 'substack-lab.session';
const HISTORY_KEY = 'substack-lab.history';
const STEPS = ['queued', 'running', 'done'];

const $ = (sel) => document.querySelector(sel);
const logEl = $('#log');
const input = $('#input');
const form = $('#composer');
const list = $('#suggestions');
const conn = $('#conn');

// ── Session ──────────────────────────────────────────────────────────────────────────────────

function sessionId() {
  let id = localStorage.getItem(SESSION_KEY);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9]/g, '').slice(0, 32);
    localStorage.setItem(SESSION_KEY, id);
  }
  return id;
}
const session = sessionId();

// ── Small DOM helpers ────────────────────────────────────────────────────────────────────────

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * The Markdown the analyses write (**bold**, `code`, [links](https://…), "## headings"), as
 * safe HTML: everything is escaped first, and only http(s) links are rebuilt. Code that is a
 * command (`/attention layer:2`) becomes a button that puts it in the composer.
 */
// A user's text arrives between U+E000 and U+E001 (src/analyses/lib/literal.ts): it is shown as
// typed, so it is held out of the Markdown rules below and put back escaped at the end.
const LITERAL = /\uE000([^\uE001]*)(?:\uE001|$)/g;

function markdown(text, { plain = false } = {}) {
  const literals = [];
  const held = text.replace(/[\u0001\u0002]/g, '').replace(LITERAL, (_m, lit) => {
    literals.push(escapeHtml(lit).replace(/`/g, '&#96;'));
    return `\u0001${literals.length - 1}\u0002`;
  });
  const codes = [];
  let html = escapeHtml(held).replace(/`([^`\n]+)`/g, (_m, code) => {
    codes.push(code);
    return `\u0000${codes.length - 1}\u0000`;
  });
  // Errors echo what the user typed: only their code spans are formatted, never a link.
  if (!plain) html = html
    .replace(/^#{1,6}\s+(.+)$/gm, '<strong>$1</strong>')
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label, url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${label}</a>`);
  html = html.replace(/\u0000(\d+)\u0000/g, (_m, i) => {
    const code = codes[Number(i)];
    return code.startsWith('/') ? `<code class="runnable" role="button" tabindex="0" data-command="${code}">${code}</code>` : `<code>${code}</code>`;
  });
  html = html.replace(/\u0001(\d+)\u0002/g, (_m, i) => literals[Number(i)]);
  return html.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`).join('');
}

function textBlock(text, opts) {
  const div = el('div', { class: 'text' });
  div.innerHTML = markdown(text, opts);
  return div;
}

function linkRow(links) {
  return el('div', { class: 'links' }, links.map((l) => el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: l.label })));
}

/** "14:05" from a Redis stream id (milliseconds-sequence). */
function timeOf(id) {
  const ms = Number(String(id).split('-')[0]);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

function figureGrid(figures) {
  return el('div', { class: 'figures' }, figures.map((f) => el('figure', { class: 'figure' },
    el('a', { href: f.url, target: '_blank', rel: 'noopener', title: 'Open full size' },
      el('img', { src: f.url, alt: f.alt, loading: 'lazy', onload: keepAtBottom })),
    el('figcaption', { text: f.title }))));
}

// ── Scrolling: follow new messages unless the reader scrolled up ─────────────────────────────

let stickToBottom = true;
logEl.addEventListener('scroll', () => {
  stickToBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 80;
});
function keepAtBottom() {
  if (stickToBottom) logEl.scrollTop = logEl.scrollHeight;
}

// ── Messages ─────────────────────────────────────────────────────────────────────────────────

/** requestId → the bot message answering it. */
const answers = new Map();

function message(kind, id) {
  const body = el('div', { class: 'body' },
    el('div', {}, el('span', { class: 'who', text: kind === 'user' ? 'you' : 'substack-lab' }), el('span', { class: 'when', text: timeOf(id) })));
  const node = el('article', { class: `msg ${kind}` }, el('div', { class: 'avatar', 'aria-hidden': 'true', text: kind === 'user' ? 'you' : 'lab' }), body);
  logEl.append(node);
  return { node, body };
}

function answerFor(requestId, id) {
  let a = answers.get(requestId);
  if (!a) {
    const m = message('bot', id);
    a = { ...m, steps: undefined, stage: undefined, reached: new Set() };
    m.node.dataset.request = requestId;
    answers.set(requestId, a);
  }
  return a;
}

/** The queued → running → done strip of an analysis; `data-reached` lists the stages seen. */
function setStep(a, step, failed = false) {
  if (!a.steps) {
    a.steps = el('div', { class: 'steps', 'aria-label': 'Progress' }, STEPS.map((s) => el('span', { class: 'step', 'data-step': s, text: s })));
    a.stage = el('div', { class: 'stage' });
    a.body.append(a.steps, a.stage);
  }
  const index = STEPS.indexOf(step);
  for (let i = 0; i <= index; i++) a.reached.add(STEPS[i]);
  a.node.dataset.reached = STEPS.filter((s) => a.reached.has(s)).join(',');
  for (const span of a.steps.children) {
    const s = span.dataset.step;
    span.classList.toggle('reached', a.reached.has(s));
    span.classList.toggle('current', s === step && !failed && step !== 'done');
    span.classList.toggle('failed', failed && s === step);
  }
}

const handlers = {
  command(e) {
    const { body } = message('user', e.id);
    body.append(el('div', { class: 'typed', text: e.text }));
  },
  progress(e) {
    const a = answerFor(e.requestId ?? e.id, e.id);
    setStep(a, /^queued/i.test(e.text) ? 'queued' : 'running');
    a.stage.textContent = e.text;
  },
  result(e) {
    const r = e.result;
    const a = answerFor(e.requestId ?? e.id, e.id);
    if (a.steps) {
      setStep(a, 'done');
      a.stage.textContent = `finished in ${(r.timings.totalMs / 1000).toFixed(1)} s`;
    }
    a.node.classList.add('has-result');
    a.body.append(el('section', { class: 'card result' },
      el('h2', {}, el('a', { href: r.postUrl, target: '_blank', rel: 'noopener noreferrer', text: r.title })),
      figureGrid(r.figures),
      textBlock(r.explanation),
      linkRow([{ label: 'Read the post', url: r.postUrl }, { label: 'Notebook', url: r.notebookUrl }]),
      el('div', { class: 'footer', text: r.footer })));
  },
  error(e) {
    const a = answerFor(e.requestId ?? e.id, e.id);
    if (a.steps) setStep(a, a.reached.has('running') ? 'running' : 'queued', true);
    a.node.classList.add('has-error');
    a.body.append(el('section', { class: 'card error', role: 'alert' }, textBlock(e.message, { plain: true })));
  },
  reply(e) {
    const a = answerFor(e.requestId ?? e.id, e.id);
    const r = e.reply;
    a.body.append(el('section', { class: 'card reply' }, r.title ? el('h2', { text: r.title }) : null, textBlock(r.text), r.links?.length ? linkRow(r.links) : null));
  },
  digest(e) {
    const d = e.digest;
    const { node, body } = message('bot', e.id);
    node.classList.add('has-digest');
    body.append(el('section', { class: 'card digest' },
      el('div', { class: 'kicker', text: 'Post of the week' }),
      el('h2', {}, el('a', { href: d.post.url, target: '_blank', rel: 'noopener noreferrer', text: d.post.title })),
      d.figure ? figureGrid([d.figure]) : null,
      textBlock(d.summary),
      d.tryIt ? textBlock(`**Try it:** \`${d.tryIt.command}\` — ${d.tryIt.why}`) : null,
      textBlock(`**Discuss:** ${d.question}`),
      linkRow([{ label: 'Read the post', url: d.post.url }, { label: 'Notebook', url: d.post.notebookUrl }]),
      el('div', { class: 'footer', text: [d.post.sectionTitle, `post ${d.rotation.index} of ${d.rotation.total}`, d.period, d.figureNote].filter(Boolean).join(' · ') })));
  },
};

const seen = new Set();
function onEvent(e) {
  if (seen.has(e.id)) return;
  seen.add(e.id);
  handlers[e.type]?.(e);
  keepAtBottom();
}

// ── The event stream ─────────────────────────────────────────────────────────────────────────

function connect() {
  // EventSource reconnects by itself and sends Last-Event-ID, so the server resumes where we were.
  const source = new EventSource(`/api/events?session=${encodeURIComponent(session)}`);
  source.onopen = () => {
    conn.dataset.state = 'live';
    conn.textContent = 'live';
  };
  source.onmessage = (m) => onEvent(JSON.parse(m.data));
  source.onerror = () => {
    conn.dataset.state = 'offline';
    conn.textContent = 'reconnecting';
  };
}

// ── Sending ──────────────────────────────────────────────────────────────────────────────────

const history = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
let historyAt = history.length;

/** Longest command the server takes (from /api/catalog; this until it has answered). */
// The server's limit (from /api/catalog); until it arrives, the server checks alone.
let commandMax = Infinity;

/** What an HTTP status means for a command, when the server's answer says nothing itself. */
function statusMessage(status) {
  if (status === 413) return `The command is too long: the playground takes at most ${commandMax.toLocaleString('en-US')} characters.`;
  if (status === 403) return 'The playground refused this request: open it at http://localhost (or the address it printed).';
  return `The playground server could not take this command (HTTP ${status}).`;
}

async function send(text) {
  const typed = text.trim();
  if (!typed) return;
  history.push(typed);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-50)));
  historyAt = history.length;
  const command = typed.startsWith('/') ? typed : `/${typed}`;
  if (command.length > commandMax) {
    onEvent({ id: `local-${Date.now()}`, type: 'error', message: `The command is too long: the playground takes at most ${commandMax.toLocaleString('en-US')} characters (this one has ${command.length.toLocaleString('en-US')}).` });
    return;
  }
  const res = await fetch('/api/command', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session, text: command }),
  }).catch(() => undefined);
  if (!res) {
    onEvent({ id: `local-${Date.now()}`, type: 'error', message: 'The playground server is not answering. Is `npm start` still running?' });
  } else if (!res.ok && res.status !== 500) {
    const body = await res.json().catch(() => ({}));
    onEvent({ id: `local-${Date.now()}`, type: 'error', message: typeof body.error === 'string' ? body.error : statusMessage(res.status) });
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value;
  input.value = '';
  closeSuggestions();
  stickToBottom = true;
  send(text);
});

logEl.addEventListener('click', (ev) => {
  const code = ev.target.closest?.('code.runnable');
  if (!code) return;
  input.value = `${code.dataset.command} `;
  input.focus();
  updateSuggestions();
});

// ── Autocomplete from the command catalog ────────────────────────────────────────────────────

let catalog = [];
// Models some worker has downloaded (a named model that is not fails at once).
let modelsPresent = new Set();
let items = [];
let selected = -1;
let navigated = false;

/** Words of the text before the caret, quotes kept together: [{text, start, end}]. */
function words(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    let quote = null;
    while (i < text.length && (quote || !/\s/.test(text[i]))) {
      const c = text[i];
      if (quote && c === quote) quote = null;
      else if (!quote && (c === '"' || c === "'") && (i === start || text[i - 1] === ':')) quote = c;
      i++;
    }
    out.push({ text: text.slice(start, i), start, end: i });
  }
  return out;
}

function suggestionsFor(text, caret) {
  const before = text.slice(0, caret);
  if (!before.startsWith('/')) return [];
  const ws = words(before);
  const atSpace = /\s$/.test(before);
  if (ws.length === 1 && !atSpace) {
    const prefix = ws[0].text.slice(1).toLowerCase();
    return catalog.filter((c) => c.name.startsWith(prefix))
      .map((c) => ({ label: `/${c.name}`, hint: c.description, insert: `/${c.name} `, from: 0 }));
  }
  const cmd = catalog.find((c) => c.name === ws[0].text.slice(1).toLowerCase());
  if (!cmd) return [];
  const current = atSpace ? { text: '', start: caret } : ws[ws.length - 1];
  const earlier = ws.slice(1, atSpace ? undefined : -1).map((w) => w.text);
  const used = new Set(earlier.filter((w) => w.includes(':')).map((w) => w.slice(0, w.indexOf(':'))));
  const verb = cmd.subcommands?.find((s) => earlier.includes(s.name));
  const colon = current.text.indexOf(':');

  if (colon < 0) {
    const prefix = current.text.toLowerCase();
    const out = [];
    if (cmd.subcommands && !verb && earlier.length === 0) {
      for (const s of cmd.subcommands) if (s.name.startsWith(prefix)) out.push({ label: s.name, hint: s.description, insert: `${s.name} `, from: current.start });
    }
    const allowed = cmd.subcommands ? (verb ? cmd.options.filter((o) => verb.options.includes(o.name)) : []) : cmd.options;
    for (const o of allowed) {
      if (used.has(o.name) || !o.name.startsWith(prefix)) continue;
      const quoted = o.type === 'string' && !o.choices;
      out.push({ label: `${o.name}:`, hint: `${o.summary} — ${o.description}`, insert: quoted ? `${o.name}:""` : `${o.name}:`, back: quoted ? 1 : 0, from: current.start, reopen: true });
    }
    return out;
  }
  const name = current.text.slice(0, colon);
  const option = cmd.options.find((o) => o.name === name);
  if (!option) return [];
  const values = option.choices ?? (option.type === 'boolean' ? ['true', 'false'] : []);
  const prefix = current.text.slice(colon + 1).replace(/^["']/, '').toLowerCase();
  return values.filter((v) => String(v).toLowerCase().startsWith(prefix))
    .map((v) => ({ label: String(v), hint: valueHint(option, v), insert: `${name}:${v} `, from: current.start }));
}

function valueHint(option, v) {
  if (option.name === 'model') return modelsPresent.has(String(v)) ? '✓ downloaded' : `✗ not downloaded: npx lab models pull ${v}`;
  return String(v) === String(option.default) ? 'default' : option.description;
}

function renderSuggestions() {
  list.replaceChildren(...items.map((it, i) => el('li', {
    role: 'option', 'aria-selected': i === selected ? 'true' : 'false',
    onmousedown: (ev) => {
      ev.preventDefault();
      accept(i);
    },
  }, el('span', { class: 'label', text: it.label }), el('span', { class: 'hint', text: it.hint }))));
  list.hidden = items.length === 0;
  list.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
}

function updateSuggestions() {
  items = suggestionsFor(input.value, input.selectionStart ?? input.value.length).slice(0, 40);
  selected = items.length ? 0 : -1;
  navigated = false;
  renderSuggestions();
}

function closeSuggestions() {
  items = [];
  selected = -1;
  renderSuggestions();
}

function accept(i) {
  const it = items[i];
  if (!it) return;
  const caret = input.selectionStart ?? input.value.length;
  const rest = input.value.slice(caret).replace(/^\S*/, '');
  input.value = input.value.slice(0, it.from) + it.insert + rest;
  const at = it.from + it.insert.length - (it.back ?? 0);
  input.setSelectionRange(at, at);
  input.focus();
  updateSuggestions();
  if (!it.reopen && !items.length) closeSuggestions();
}

input.addEventListener('input', updateSuggestions);
input.addEventListener('click', updateSuggestions);
input.addEventListener('blur', () => setTimeout(closeSuggestions, 100));
input.addEventListener('keydown', (ev) => {
  const open = items.length > 0;
  if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
    ev.preventDefault();
    selected = (selected + (ev.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
    navigated = true;
    renderSuggestions();
  } else if (open && ev.key === 'Tab') {
    ev.preventDefault();
    accept(Math.max(selected, 0));
  } else if (open && ev.key === 'Enter' && navigated) {
    ev.preventDefault();
    accept(selected);
  } else if (open && ev.key === 'Escape') {
    closeSuggestions();
  } else if (!open && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') && history.length) {
    // Shell-style recall of earlier commands.
    ev.preventDefault();
    historyAt = Math.min(history.length, Math.max(0, historyAt + (ev.key === 'ArrowUp' ? -1 : 1)));
    input.value = history[historyAt] ?? '';
  }
});

// ── Start ────────────────────────────────────────────────────────────────────────────────────

async function loadCatalog() {
  const res = await fetch('/api/catalog');
  const body = await res.json();
  catalog = body.commands;
  modelsPresent = new Set(body.modelsPresent ?? []);
  if (Number.isInteger(body.limits?.commandChars)) commandMax = body.limits.commandChars;
  const pick = ['help', 'correlation', 'fourier', 'attention', 'tokens', 'digest'];
  const examples = pick.map((n) => catalog.find((c) => c.name === n)).filter(Boolean)
    .map((c) => (c.name === 'digest' ? '/digest preview' : c.name === 'attention' ? '/attention layer:2' : c.example));
  $('#examples').replaceChildren(...examples.map((text) => el('button', { class: 'chip', type: 'button', text, onclick: () => send(text) })));
}

loadCatalog().catch(() => {});
connect();
input.focus();
