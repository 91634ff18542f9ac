// Companion Console. One module, no framework, no inline code: the page runs under a strict CSP
// (script-src 'self', style-src 'self'). Everything the server says is rendered as text, except
// model output, which goes through renderModelText (Markdown + sanitiser, or plain text).
//
// Updates come from one of two interchangeable sources with the same interface
// (start, afterSend, refreshNow): an EventSource stream when the server says
// transport.completion === "sse", otherwise polling.

const API = Object.freeze({
  status: '/api/companion/status',
  transcript: '/api/companion/transcript',
  messages: '/api/companion/messages',
  cancel: '/api/companion/cancel',
  events: '/api/companion/events',
});

const DRAFT_KEY = 'companion-console.draft';
const PAGE_SIZE = 50;
const POLL_BUSY_MS = 500;
const POLL_IDLE_MS = 5000;
const RENDER_THROTTLE_MS = 80;
const ANNOUNCE_REPLY_CHARS = 400;
const DEFAULT_MAX_CHARS = 8000;

// Item statuses that are worth a word next to the item; completed and accepted are the normal case,
// and superseded items are folded away instead.
const NOTABLE_ITEM_STATUS = new Set(['cancelled', 'failed', 'timeout', 'incomplete', 'interrupted',
  'truncated', 'filtered', 'refused']);

// What a reply's bubble says about its end when the item carries no diagnostic of its own (one
// stored by an earlier release); otherwise the diagnostic's sentence is said.
const ENDING_FALLBACK = Object.freeze({
  cancelled: 'Cancelled; this is the text that had arrived.',
  failed: 'The reply failed before any text arrived.',
  timeout: 'Stopped at the time limit; this is the text that had arrived.',
  incomplete: 'The reply stream broke off; this is the text that had arrived.',
  interrupted: 'The server stopped during the reply; this is the text that had arrived.',
  truncated: 'The provider cut the reply off at its output limit.',
  filtered: "The provider's content filter stopped the reply.",
  refused: 'The model declined to answer.',
});

// Replies that ended early although their turn completed: the outcome says how.
const EARLY_ENDINGS = Object.freeze({
  truncated: 'Reply cut short.',
  filtered: 'Reply stopped by a content filter.',
  refused: 'The model declined to answer.',
});

// Turn-ending events of the stream and the state word each one leaves the composer in.
const TURN_END_EVENTS = Object.freeze({
  turn_completed: 'completed',
  turn_failed: 'error',
  turn_cancelled: 'cancelled',
  turn_timed_out: 'timeout',
});

const $ = (id) => document.getElementById(id);

const view = {
  stateBadge: $('state-badge'),
  workerLabel: $('worker-label'),
  connection: $('connection'),
  offlineNotice: $('offline-notice'),
  offlineText: $('offline-text'),
  scroller: $('transcript-scroll'),
  loadOlder: $('load-older'),
  transcriptInfo: $('transcript-info'),
  transcript: $('transcript'),
  transcriptEmpty: $('transcript-empty'),
  composer: $('composer'),
  message: $('message'),
  charCount: $('char-count'),
  outcome: $('outcome'),
  outcomeWord: $('outcome-word'),
  outcomeText: $('outcome-text'),
  refresh: $('refresh'),
  cancel: $('cancel'),
  send: $('send'),
  statusState: $('status-state'),
  statusWorker: $('status-worker'),
  statusAuthority: $('status-authority'),
  statusCapabilities: $('status-capabilities'),
  statusTurn: $('status-turn'),
  providerLive: $('provider-live'),
  providerKind: $('provider-kind'),
  providerModel: $('provider-model'),
  providerHost: $('provider-host'),
  providerReason: $('provider-reason'),
  transportKind: $('transport-kind'),
  transportCompletion: $('transport-completion'),
  transportLimitation: $('transport-limitation'),
  diagnostics: $('diagnostics'),
  usageInput: $('usage-input'),
  usageOutput: $('usage-output'),
  usageReasoning: $('usage-reasoning'),
  usageScope: $('usage-scope'),
  diagnosticsEmpty: $('diagnostics-empty'),
  announcer: $('announcer'),
};

const model = {
  status: null,
  state: 'unknown',
  maxChars: DEFAULT_MAX_CHARS,
  items: new Map(),          // sequence -> { item, li }
  olderStart: null,          // previous_start of the oldest page loaded
  oldestStart: null,
  totalItems: 0,
  pending: null,             // { turnId, text, li, body, timer }
  awaitedTurn: null,         // the turn this tab sent, until its end is seen
  finishedTurns: new Set(),  // turns whose end was already shown (a cancel and its event both report it)
  sending: false,
  statusDiagnostics: [],
  actionDiagnostics: new Map(), // source ('send', 'reply', 'cancel', …) -> its latest diagnostics
  updates: null,
};

// ---------------------------------------------------------------- HTTP

async function requestJson(method, url, body) {
  const init = { method, headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json; charset=utf-8';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    return { ok: false, httpStatus: 0, body: null, networkError: true };
  }
  let json = null;
  try {
    json = await response.json();
  } catch (e) {
    json = null;
  }
  return { ok: response.ok, httpStatus: response.status, body: json, networkError: false };
}

function diagnosticsOf(body) {
  return body && Array.isArray(body.diagnostics) ? body.diagnostics : [];
}

function messagesOf(diagnostics) {
  return diagnostics.map((d) => d.message).filter(Boolean).join(' ');
}

// ---------------------------------------------------------------- small view helpers

function words(value) {
  return String(value ?? '').replace(/_/g, ' ');
}

function setText(el, value, fallback = '—') {
  el.textContent = value === null || value === undefined || value === '' ? fallback : String(value);
}

function setBadge(el, state) {
  const word = state || 'unknown';
  el.className = `badge state-${word.replace(/[^a-z_]/g, '')}`;
  el.textContent = words(word);
}

// Messages that arrive together (a reply ends and the state changes) are read as one, so the
// second never silences the first; clearing first makes a repeated sentence heard again.
const announcements = [];
let announceTimer = null;

function announce(message) {
  announcements.push(message);
  if (announceTimer !== null) return;
  view.announcer.textContent = '';
  announceTimer = window.setTimeout(() => {
    announceTimer = null;
    view.announcer.textContent = announcements.splice(0).join(' ');
  }, 150);
}

function setConnection(kind, label) {
  view.connection.className = `connection conn-${kind}`;
  view.connection.textContent = label;
}

function showOutcome(state, text) {
  view.outcome.hidden = false;
  setBadge(view.outcomeWord, state);
  view.outcomeText.textContent = text || '';
}

function formatCount(n) {
  return n.toLocaleString('en-US');
}

function nearBottom() {
  const s = view.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

function keepBottom(wasNearBottom) {
  if (!wasNearBottom) return;
  const s = view.scroller;
  s.scrollTop = s.scrollHeight;
  // Items skipped by content-visibility get their real height only once laid out.
  window.requestAnimationFrame(() => { s.scrollTop = s.scrollHeight; });
}

// ---------------------------------------------------------------- model output rendering

let purifierReady = false;

function markdownAvailable() {
  const md = window.marked;
  const purify = window.DOMPurify;
  return Boolean(md && typeof md.parse === 'function' && purify && purify.isSupported);
}

function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// The reply is hostile input: no script, handler, style, frame, form or image survives, links
// open in a new browsing context without opener or referrer, and only http(s)/mailto links stay.
const PURIFY_CONFIG = Object.freeze({
  RETURN_DOM_FRAGMENT: true,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  FORBID_TAGS: ['img', 'picture', 'source', 'video', 'audio', 'track', 'iframe', 'frame', 'frameset',
    'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'option', 'style', 'link',
    'meta', 'base', 'svg', 'math', 'template', 'dialog', 'details'],
  FORBID_ATTR: ['style', 'class', 'id', 'name', 'srcset', 'src', 'action', 'formaction', 'background', 'poster', 'ping'],
});

function preparePurifier() {
  if (purifierReady) return;
  const purify = window.DOMPurify;
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      if (node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
        node.setAttribute('referrerpolicy', 'no-referrer');
      }
    }
  });
  window.marked.use({
    gfm: true,
    breaks: false,
    renderer: {
      // Raw HTML in a reply is shown as the text it is, never parsed: the sanitiser below is the
      // second line of defence, not the only one.
      html(token) {
        return escapeHtml(token && typeof token.text === 'string' ? token.text : '');
      },
      // Images are never loaded from a reply; their description is kept as text.
      image(token) {
        const alt = token && token.text ? token.text : 'image';
        return `<em>[image: ${escapeHtml(alt)}]</em>`;
      },
    },
  });
  purifierReady = true;
}

function decorateCodeBlocks(container) {
  for (const pre of container.querySelectorAll('pre')) {
    const wrapper = document.createElement('div');
    wrapper.className = 'code-block';
    pre.replaceWith(wrapper);
    wrapper.append(pre);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy code to the clipboard');
    wrapper.append(button);
  }
}

/** The one place model output becomes DOM. */
function renderModelText(el, text) {
  if (markdownAvailable()) {
    preparePurifier();
    const html = window.marked.parse(String(text ?? ''), { async: false });
    const fragment = window.DOMPurify.sanitize(html, PURIFY_CONFIG);
    el.classList.remove('plain-text');
    el.classList.add('markdown');
    el.replaceChildren(fragment);
    decorateCodeBlocks(el);
  } else {
    el.classList.remove('markdown');
    el.classList.add('plain-text');
    el.textContent = String(text ?? '');
  }
}

function renderUserText(el, text) {
  el.classList.add('plain-text');
  el.textContent = String(text ?? '');
}

// Copy buttons: a code block's copies its code; a reply's copies the reply's own words as stored
// (its Markdown), never its reasoning, its ending note or its token counts.
view.transcript.addEventListener('click', async (event) => {
  const button = event.target.closest('button.copy, button.copy-reply');
  if (!button) return;
  let text = '';
  if (button.classList.contains('copy-reply')) {
    const li = button.closest('li[data-sequence]');
    const shown = li ? model.items.get(Number(li.dataset.sequence)) : null;
    text = shown ? String(shown.item.content ?? '') : '';
  } else {
    const code = button.parentElement.querySelector('pre');
    text = code ? code.textContent : '';
  }
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (e) {
    button.textContent = 'Copy failed';
  }
  window.setTimeout(() => { button.textContent = 'Copy'; }, 1500);
});

// ---------------------------------------------------------------- transcript

function itemElement(item) {
  const li = document.createElement('li');
  fillItem(li, item);
  return li;
}

/** "3 s", "0.4 s", "1 min 5 s": how long a model reasoned. */
function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return null;
  if (ms < 100) return 'less than 0.1 s';
  if (ms < 10000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

function reasoningSummary(ms) {
  const took = formatDuration(ms);
  return took ? `Thought for ${took}` : 'Reasoning';
}

/** A folded section for the model's reasoning: shown as text, never as part of the reply. */
function reasoningElement(text, summaryText, open) {
  const details = document.createElement('details');
  details.className = 'reasoning';
  details.open = Boolean(open);
  const summary = document.createElement('summary');
  summary.className = 'reasoning-summary';
  summary.textContent = summaryText;
  const body = document.createElement('div');
  body.className = 'reasoning-body plain-text';
  body.textContent = String(text ?? '');
  details.append(summary, body);
  return details;
}

/** The sentence a reply's bubble says about how it ended, or '' for a reply that simply finished. */
function endingSentence(item) {
  if (item.role === 'user') return '';
  const diagnostics = Array.isArray(item.diagnostics) ? item.diagnostics.filter((d) => d && d.message) : [];
  const notable = NOTABLE_ITEM_STATUS.has(item.status) || item.status === 'superseded';
  // A finished reply speaks only of notes that matter; one that ended otherwise says all of them.
  const said = messagesOf(notable ? diagnostics : diagnostics.filter((d) => d.severity === 'warning' || d.severity === 'error'));
  if (said) return said;
  return ENDING_FALLBACK[item.status] || '';
}

function formatUsage(usage) {
  if (!usage || typeof usage !== 'object') return '';
  const count = (n) => (Number.isFinite(n) ? formatCount(n) : '?');
  const reasoning = Number.isFinite(usage.reasoning_tokens) && usage.reasoning_tokens > 0
    ? ` (${count(usage.reasoning_tokens)} reasoning)` : '';
  return `Tokens: ${count(usage.input_tokens)} in · ${count(usage.output_tokens)} out${reasoning}`;
}

/** Builds an item's bubble afresh from the item, keeping which of its folds the reader had open. */
function fillItem(li, item) {
  const assistant = item.role !== 'user';
  const streaming = item.status === 'streaming';
  const superseded = item.status === 'superseded';
  const reasoningWasOpen = Boolean(li.querySelector('details.reasoning[open]'));
  const foldWasOpen = Boolean(li.querySelector('details.superseded-fold[open]'));

  li.className = `item role-${assistant ? 'assistant' : 'user'}${superseded ? ' is-superseded' : ''}`;
  li.dataset.sequence = String(item.sequence);

  const head = document.createElement('div');
  head.className = 'item-head';
  const role = document.createElement('span');
  role.className = 'item-role';
  role.textContent = assistant ? 'Companion' : 'You';
  const time = document.createElement('time');
  if (item.created_at) {
    const at = new Date(item.created_at);
    time.dateTime = item.created_at;
    time.title = item.created_at;
    time.textContent = Number.isNaN(at.getTime()) ? item.created_at : at.toLocaleTimeString();
  }
  const source = document.createElement('span');
  source.className = 'item-source';
  source.textContent = item.source ? `via ${words(item.source)}` : '';
  const status = document.createElement('span');
  status.className = 'item-status';
  if (NOTABLE_ITEM_STATUS.has(item.status) || streaming || superseded) {
    const badge = document.createElement('span');
    setBadge(badge, item.status);
    status.append(badge);
  }
  head.append(role, time, source, status);
  const parts = [head];

  if (assistant && typeof item.reasoning === 'string' && item.reasoning !== '') {
    parts.push(reasoningElement(item.reasoning, reasoningSummary(item.reasoning_ms), reasoningWasOpen));
  }

  const body = document.createElement('div');
  body.className = 'item-body';
  if (assistant) renderModelText(body, item.content);
  else renderUserText(body, item.content);
  parts.push(body);

  const ending = endingSentence(item);
  if (ending) {
    const note = document.createElement('p');
    note.className = `item-ending ending-${String(item.status || '').replace(/[^a-z_]/g, '')}`;
    note.textContent = ending;
    parts.push(note);
  }

  if (assistant && !streaming) {
    const foot = document.createElement('div');
    foot.className = 'item-foot';
    const usage = formatUsage(item.usage);
    if (usage) {
      const line = document.createElement('span');
      line.className = 'item-usage';
      line.textContent = usage;
      foot.append(line);
    }
    if (item.content) {
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'btn copy-reply';
      copy.textContent = 'Copy';
      copy.setAttribute('aria-label', 'Copy the reply to the clipboard');
      foot.append(copy);
    }
    if (foot.childElementCount) parts.push(foot);
  }

  if (superseded) {
    // Replaced by a regenerate or an edit: kept, out of the way until asked for.
    const fold = document.createElement('details');
    fold.className = 'superseded-fold';
    fold.open = foldWasOpen;
    const summary = document.createElement('summary');
    summary.className = 'superseded-summary';
    summary.textContent = assistant ? 'Previous answer' : 'Previous message';
    fold.append(summary, ...parts);
    li.replaceChildren(fold);
  } else {
    li.replaceChildren(...parts);
  }
}

function sameItem(a, b) {
  return a.content === b.content && a.status === b.status && a.created_at === b.created_at && a.role === b.role
    && (a.reasoning ?? null) === (b.reasoning ?? null) && (a.reasoning_ms ?? null) === (b.reasoning_ms ?? null)
    && JSON.stringify(a.usage ?? null) === JSON.stringify(b.usage ?? null)
    && JSON.stringify(a.diagnostics ?? []) === JSON.stringify(b.diagnostics ?? []);
}

function upsertItem(item) {
  if (!item || typeof item.sequence !== 'number') return;
  if (model.pending && item.role !== 'user' && item.turn_id === model.pending.turnId) {
    // While a turn streams, its bubble is the truth; when polling, the stored item replaces it.
    if (model.pending.streaming) return;
    dropPending();
  }
  const existing = model.items.get(item.sequence);
  if (existing) {
    if (!sameItem(existing.item, item)) {
      existing.item = item;
      fillItem(existing.li, item);
    }
    return;
  }
  const li = itemElement(item);
  let before = null;
  for (const child of view.transcript.children) {
    const seq = Number(child.dataset.sequence);
    if (child.dataset.pending === 'true' || seq > item.sequence) { before = child; break; }
  }
  view.transcript.insertBefore(li, before);
  model.items.set(item.sequence, { item, li });
  // Items that arrive by the stream make the transcript longer than the last page said.
  if (item.sequence + 1 > model.totalItems) model.totalItems = item.sequence + 1;
  updateTranscriptMeta();
}

function applyPage(page, { older = false } = {}) {
  if (!page || !Array.isArray(page.items)) return;
  const wasNearBottom = nearBottom();
  const heightBefore = view.scroller.scrollHeight;
  for (const item of page.items) upsertItem(item);
  if (typeof page.total_items === 'number') model.totalItems = page.total_items;
  if (typeof page.start === 'number' && (model.oldestStart === null || page.start <= model.oldestStart)) {
    model.oldestStart = page.start;
    model.olderStart = page.previous_start ?? null;
  }
  updateTranscriptMeta();
  if (older) {
    // Keep the reader where they were when older items arrive above.
    view.scroller.scrollTop += view.scroller.scrollHeight - heightBefore;
  } else {
    keepBottom(wasNearBottom);
  }
}

function updateTranscriptMeta() {
  updateUsageTotal();
  const shown = model.items.size;
  view.loadOlder.hidden = model.olderStart === null || model.olderStart === undefined;
  view.transcriptEmpty.hidden = shown > 0 || model.pending !== null;
  view.transcriptInfo.textContent = model.totalItems > shown
    ? `Showing the newest ${formatCount(shown)} of ${formatCount(model.totalItems)} items.`
    : '';
}

function clearTranscript() {
  dropPending();
  model.items.clear();
  view.transcript.replaceChildren();
  model.olderStart = null;
  model.oldestStart = null;
  model.totalItems = 0;
  model.awaitedTurn = null;
  updateTranscriptMeta();
}

async function refreshTranscript() {
  const r = await requestJson('GET', `${API.transcript}?limit=${PAGE_SIZE}`);
  if (r.ok) applyPage(r.body);
  else if (!r.networkError) noteAction('transcript', diagnosticsOf(r.body));
  return r;
}

async function loadOlder() {
  if (model.olderStart === null) return;
  view.loadOlder.disabled = true;
  const r = await requestJson('GET', `${API.transcript}?start=${encodeURIComponent(model.olderStart)}&limit=${PAGE_SIZE}`);
  view.loadOlder.disabled = false;
  if (r.ok) {
    applyPage(r.body, { older: true });
    announce(`Loaded older items. ${view.transcriptInfo.textContent}`);
  } else {
    noteAction('transcript', diagnosticsOf(r.body));
    showOutcome(r.body?.state || 'error', messagesOf(diagnosticsOf(r.body)) || 'Could not load older items.');
  }
}

function findReply(turnId) {
  for (const { item } of model.items.values()) {
    if (item.turn_id === turnId && item.role !== 'user') return item;
  }
  return null;
}

/** The tokens of every reply shown (superseded ones too: they were spent), in the side panel. */
function updateUsageTotal() {
  let input = 0;
  let output = 0;
  let reasoning = 0;
  let counted = 0;
  for (const { item } of model.items.values()) {
    const u = item.usage;
    if (item.role === 'user' || !u || typeof u !== 'object') continue;
    counted += 1;
    if (Number.isFinite(u.input_tokens)) input += u.input_tokens;
    if (Number.isFinite(u.output_tokens)) output += u.output_tokens;
    if (Number.isFinite(u.reasoning_tokens)) reasoning += u.reasoning_tokens;
  }
  setText(view.usageInput, counted ? formatCount(input) : null);
  setText(view.usageOutput, counted ? formatCount(output) : null);
  setText(view.usageReasoning, counted ? formatCount(reasoning) : null);
  const replies = `${formatCount(counted)} ${counted === 1 ? 'reply' : 'replies'}`;
  let scope = counted ? `Counted over the ${replies} that reported usage.` : 'No reply has reported token usage yet.';
  if (model.totalItems > model.items.size) scope += ' Older messages not loaded yet are not counted.';
  view.usageScope.textContent = scope;
}

// ---------------------------------------------------------------- pending (streamed) reply

function startPending(turnId) {
  if (model.pending && model.pending.turnId === turnId) return model.pending;
  // The cancel's answer travels on its own connection and can overtake the stream's last pieces:
  // a turn already shown as ended never gets a streaming bubble again.
  if (model.finishedTurns.has(turnId)) return null;
  dropPending();
  const wasNearBottom = nearBottom();
  const li = itemElement({ sequence: -1, role: 'assistant', content: '', status: 'streaming', source: null, created_at: null });
  li.classList.add('pending');
  li.dataset.pending = 'true';
  li.removeAttribute('data-sequence');
  li.setAttribute('aria-busy', 'true');
  view.transcript.append(li);
  const streaming = Boolean(model.updates && model.updates.mode === 'sse');
  model.pending = {
    turnId, text: '', rendered: '', li, body: li.querySelector('.item-body'), timer: null, streaming,
    reasoning: '', reasoningEl: null, reasoningStartedAt: null, reasoningMs: null,
  };
  updateTranscriptMeta();
  keepBottom(wasNearBottom);
  return model.pending;
}

/** The time an event says it happened, in ms, or null. */
function eventTime(data) {
  const at = data && typeof data.at === 'string' ? Date.parse(data.at) : NaN;
  return Number.isNaN(at) ? null : at;
}

function appendPending(turnId, text, data) {
  const pending = model.pending && model.pending.turnId === turnId ? model.pending : startPending(turnId);
  if (!pending) return;
  // The reasoning ends where the reply begins: from then on the fold says how long it took.
  if (pending.reasoning && pending.text === '' && pending.reasoningMs === null) {
    const at = eventTime(data);
    if (at !== null && pending.reasoningStartedAt !== null) pending.reasoningMs = Math.max(0, at - pending.reasoningStartedAt);
  }
  pending.text += text;
  schedulePendingRender(pending);
}

function appendPendingReasoning(turnId, text, data) {
  const pending = model.pending && model.pending.turnId === turnId ? model.pending : startPending(turnId);
  if (!pending) return;
  if (pending.reasoningStartedAt === null) pending.reasoningStartedAt = eventTime(data);
  pending.reasoning += text;
  schedulePendingRender(pending);
}

function schedulePendingRender(pending) {
  if (pending.timer !== null) return;
  pending.timer = window.setTimeout(() => {
    pending.timer = null;
    if (model.pending !== pending) return;
    const wasNearBottom = nearBottom();
    renderPending(pending);
    keepBottom(wasNearBottom);
  }, RENDER_THROTTLE_MS);
}

function renderPending(pending) {
  if (pending.reasoning) {
    if (!pending.reasoningEl) {
      pending.reasoningEl = reasoningElement('', 'Thinking…', false);
      pending.body.before(pending.reasoningEl);
    }
    const summary = pending.reasoningEl.querySelector('summary');
    const said = pending.text === '' ? 'Thinking…' : (pending.reasoningMs !== null ? reasoningSummary(pending.reasoningMs) : 'Thought');
    if (summary.textContent !== said) summary.textContent = said;
    const body = pending.reasoningEl.querySelector('.reasoning-body');
    if (body.textContent !== pending.reasoning) body.textContent = pending.reasoning;
  }
  if (pending.text !== pending.rendered) {
    renderModelText(pending.body, pending.text);
    pending.rendered = pending.text;
  }
}

function dropPending() {
  if (!model.pending) return;
  if (model.pending.timer !== null) window.clearTimeout(model.pending.timer);
  model.pending.li.remove();
  model.pending = null;
  updateTranscriptMeta();
}

// ---------------------------------------------------------------- status

function applyStatus(status) {
  if (!status) return;
  model.status = status;
  if (status.limits && Number.isInteger(status.limits.max_message_characters)) {
    model.maxChars = status.limits.max_message_characters;
    updateCharCount();
  }
  setState(status.state);

  const worker = status.worker || {};
  setText(view.workerLabel, worker.label, 'Companion');
  setText(view.statusWorker, worker.label && worker.id ? `${worker.label} (${worker.id})` : worker.label || worker.id);
  setText(view.statusAuthority, words(status.authority || worker.authority));
  setText(view.statusCapabilities, Array.isArray(worker.capabilities) ? worker.capabilities.map(words).join(', ') : null);
  setText(view.statusTurn, status.running_turn_id, 'none');

  const provider = status.provider || {};
  const transport = status.transport || {};
  const live = provider.live === true;
  view.providerLive.className = `live-flag ${live ? 'is-live' : 'not-live'}`;
  view.providerLive.textContent = live ? 'Live model' : 'Not a live model';
  setText(view.providerKind, words(provider.kind));
  setText(view.providerModel, provider.model);
  setText(view.providerHost, provider.host, 'none');
  setText(view.providerReason, provider.reason);
  setText(view.transportKind, words(transport.kind));
  setText(view.transportCompletion, transport.completion === 'sse' ? 'live stream (server-sent events)' : words(transport.completion));
  view.transportLimitation.hidden = !transport.limitation;
  view.transportLimitation.textContent = transport.limitation || '';

  // The notice repeats what the server says about itself; it never invents reassurance.
  if (!live) {
    const offlineDiagnostics = diagnosticsOf(status).filter((d) => d.code === 'provider_offline');
    const sentences = [transport.limitation, messagesOf(offlineDiagnostics), provider.reason].filter(Boolean);
    view.offlineText.textContent = [...new Set(sentences)].join(' ')
      || `Provider "${provider.kind || 'unknown'}" reports live = false.`;
    view.offlineNotice.hidden = false;
  } else {
    view.offlineNotice.hidden = true;
  }

  model.statusDiagnostics = diagnosticsOf(status);
  renderDiagnostics();
}

function setState(state) {
  const previous = model.state;
  model.state = state || 'unknown';
  setBadge(view.stateBadge, model.state);
  setBadge(view.statusState, model.state);
  view.cancel.disabled = model.state !== 'busy';
  if (previous !== model.state && previous !== 'unknown') {
    announce(`Companion is ${words(model.state)}.`);
  }
}

async function refreshStatus() {
  const r = await requestJson('GET', API.status);
  if (r.ok) {
    applyStatus(r.body);
  } else if (r.networkError) {
    setConnection('down', 'server unreachable');
  } else {
    noteAction('status', diagnosticsOf(r.body));
  }
  return r;
}

// ---------------------------------------------------------------- diagnostics panel

// Each source keeps its latest diagnostics, so a late answer of one (the 202 of a send whose whole
// turn already streamed in) never wipes another's (the reply's failure). A new send starts afresh.
function noteAction(source, list) {
  if (list.length) model.actionDiagnostics.set(source, list);
  else model.actionDiagnostics.delete(source);
  renderDiagnostics();
}

function clearActionDiagnostics() {
  model.actionDiagnostics.clear();
  renderDiagnostics();
}

function renderDiagnostics() {
  const rows = [];
  for (const [source, list] of model.actionDiagnostics) {
    for (const d of list) rows.push({ ...d, source });
  }
  for (const d of model.statusDiagnostics) rows.push({ ...d, source: 'status' });
  const lis = rows.map((d) => {
    const li = document.createElement('li');
    li.className = `sev-${String(d.severity || 'info').replace(/[^a-z]/g, '')}`;
    const code = document.createElement('span');
    code.className = 'diag-code';
    code.textContent = d.code || 'unknown';
    const meta = document.createElement('span');
    meta.className = 'diag-meta';
    meta.textContent = ` · ${d.severity || 'info'} · from ${d.source}`;
    const message = document.createElement('span');
    message.className = 'diag-message';
    message.textContent = d.message || '';
    li.append(code, meta, message);
    return li;
  });
  view.diagnostics.replaceChildren(...lis);
  view.diagnosticsEmpty.hidden = lis.length > 0;
}

// ---------------------------------------------------------------- turn end (shared by both modes)

function finishTurn(turnId, endState, storedReply, diagnostics) {
  // The reply says how it ended; from a server that does not keep that with the reply yet, the
  // turn's own diagnostics say it instead.
  const reply = storedReply && !Array.isArray(storedReply.diagnostics)
    ? { ...storedReply, diagnostics: diagnostics || [] } : storedReply;
  if (model.finishedTurns.has(turnId)) {
    if (reply) upsertItem(reply);
    return;
  }
  model.finishedTurns.add(turnId);
  const ownPending = model.pending && model.pending.turnId === turnId ? model.pending : null;
  const pendingText = ownPending ? ownPending.text : null;
  const reasoningOpen = Boolean(ownPending && ownPending.reasoningEl && ownPending.reasoningEl.open);
  if (ownPending) dropPending();
  const wasNearBottom = nearBottom();
  if (reply) upsertItem(reply);
  if (reply && reasoningOpen) {
    // The reader opened the reasoning while it streamed: it stays open in the stored reply.
    const fold = model.items.get(reply.sequence)?.li.querySelector('details.reasoning');
    if (fold) fold.open = true;
  }
  if (endState === 'completed' && reply && EARLY_ENDINGS[reply.status]) endState = reply.status;
  keepBottom(wasNearBottom);
  if (diagnostics && diagnostics.length) noteAction('reply', diagnostics);
  const shown = reply ? model.items.get(reply.sequence) : null;
  const replyText = shown ? shown.li.querySelector('.item-body').textContent : pendingText;
  if (model.awaitedTurn === turnId) model.awaitedTurn = null;
  const detail = messagesOf(diagnostics || []);
  const label = { completed: 'Reply finished.', cancelled: 'Reply cancelled.', timeout: 'Reply timed out.', error: 'Reply failed.',
    busy: 'The provider is busy; try again shortly.', ...EARLY_ENDINGS }[endState]
    || `Reply ended: ${words(endState)}.`;
  showOutcome(endState, [label, endState === 'completed' ? '' : detail].filter(Boolean).join(' '));
  const excerpt = replyText ? String(replyText).replace(/\s+/g, ' ').trim().slice(0, ANNOUNCE_REPLY_CHARS) : '';
  // The live region says how a reply ended before its words, and why when it did not simply finish.
  announce([label, endState === 'completed' ? '' : detail, excerpt].filter(Boolean).join(' '));
}

function endStateOfItem(item) {
  if (!item) return 'completed';
  return { completed: 'completed', cancelled: 'cancelled', timeout: 'timeout', failed: 'error' }[item.status] || item.status || 'completed';
}

// ---------------------------------------------------------------- update source: polling

function createPoller() {
  let timer = null;
  let running = false;

  async function tick() {
    timer = null;
    if (running) return;
    running = true;
    try {
      const r = await refreshStatus();
      if (!r.networkError) setConnection('polling', 'polling');
      if (offersStream(r)) {
        switchTo(createEventStream());
        return;
      }
      await refreshTranscript();
      const turn = model.awaitedTurn;
      if (turn && model.state !== 'busy') {
        finishTurn(turn, endStateOfItem(findReply(turn)), findReply(turn), []);
      }
    } finally {
      running = false;
      if (model.updates === self) schedule();
    }
  }

  function schedule() {
    if (timer !== null) window.clearTimeout(timer);
    const busy = model.state === 'busy' || model.awaitedTurn !== null;
    if (!busy && document.visibilityState === 'hidden') { timer = null; return; }
    timer = window.setTimeout(tick, busy ? POLL_BUSY_MS : POLL_IDLE_MS);
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && model.updates === self) refreshNow();
  });

  function refreshNow() {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    return tick();
  }

  const self = {
    mode: 'polling',
    start() {
      if (model.status) setConnection('polling', 'polling');
      schedule();
    },
    stop() { if (timer !== null) window.clearTimeout(timer); timer = null; },
    afterSend() { refreshNow(); },
    refreshNow,
  };
  return self;
}

// ---------------------------------------------------------------- update source: server-sent events

function createEventStream() {
  let source = null;
  let cursor = null;
  let retryMs = 1000;
  let retryTimer = null;

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return null;
    }
  }

  // Resumes send Last-Event-ID / ?cursor=; anything at or before the cursor was already applied.
  function fresh(data) {
    if (!data || typeof data.cursor !== 'number') return Boolean(data);
    if (cursor !== null && data.cursor <= cursor) return false;
    cursor = data.cursor;
    return true;
  }

  const handlers = {
    turn_started(data) {
      setState('busy');
      setText(view.statusTurn, data.turn_id, 'none');
      if (data.item) {
        const wasNearBottom = nearBottom();
        upsertItem(data.item);
        keepBottom(wasNearBottom);
      }
      startPending(data.turn_id);
      // A regenerate or an edit has marked what it replaces as superseded: the page shows it folded.
      refreshTranscript();
    },
    text_delta(data) {
      if (typeof data.text === 'string') appendPending(data.turn_id, data.text, data);
    },
    reasoning_delta(data) {
      if (typeof data.text === 'string') appendPendingReasoning(data.turn_id, data.text, data);
    },
    state_changed(data) {
      setState(data.to);
    },
  };
  for (const [name, endState] of Object.entries(TURN_END_EVENTS)) {
    handlers[name] = (data) => {
      // A failed turn says which: error, or busy when the provider asked to slow down.
      const state = name === 'turn_failed' && data.state === 'busy' ? 'busy' : endState;
      finishTurn(data.turn_id, state, data.reply || null, diagnosticsOf(data));
      setText(view.statusTurn, null, 'none');
      refreshStatus();
      if (!data.reply) refreshTranscript();
    };
  }

  function connect() {
    retryTimer = null;
    const url = cursor === null ? API.events : `${API.events}?cursor=${encodeURIComponent(cursor)}`;
    source = new EventSource(url);
    setConnection('connecting', 'connecting');
    source.addEventListener('open', () => {
      retryMs = 1000;
      setConnection('live', 'live');
      // Anything that happened while disconnected before the first cursor is in the transcript.
      refreshStatus();
      refreshTranscript();
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        setConnection('down', 'disconnected, retrying');
        source = null;
        retryTimer = window.setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      } else {
        setConnection('connecting', 'reconnecting');
      }
    });
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        const data = parse(event);
        if (fresh(data)) handle(data);
      });
    }
    source.addEventListener('reset', (event) => {
      const data = parse(event) || {};
      if (typeof data.latest_cursor === 'number') cursor = data.latest_cursor;
      // The server may not be the one whose items are shown (an ephemeral server restarted): its
      // sequences can name other items, so the view starts again from its newest page.
      clearTranscript();
      announce('The live stream restarted; the transcript was reloaded.');
      refreshStatus();
      refreshTranscript();
    });
  }

  return {
    mode: 'sse',
    start() { connect(); },
    stop() {
      if (retryTimer !== null) window.clearTimeout(retryTimer);
      if (source !== null) source.close();
      source = null;
    },
    afterSend() { /* the stream reports the turn */ },
    async refreshNow() {
      if (source === null && retryTimer !== null) {
        window.clearTimeout(retryTimer);
        connect();
      }
      await refreshStatus();
      await refreshTranscript();
    },
  };
}

// ---------------------------------------------------------------- composer

function codePoints(s) {
  return [...s].length;
}

function updateCharCount() {
  const n = codePoints(view.message.value);
  const over = n > model.maxChars;
  view.charCount.textContent = `${formatCount(n)} / ${formatCount(model.maxChars)}`;
  view.charCount.classList.toggle('over', over);
  if (over) view.message.setAttribute('aria-invalid', 'true');
  else view.message.removeAttribute('aria-invalid');
}

function saveDraft() {
  try {
    if (view.message.value) localStorage.setItem(DRAFT_KEY, view.message.value);
    else localStorage.removeItem(DRAFT_KEY);
  } catch (e) {
    // Storage may be disabled; the draft then lives only in the page.
  }
}

function restoreDraft() {
  try {
    const draft = localStorage.getItem(DRAFT_KEY);
    if (draft) view.message.value = draft;
  } catch (e) {
    // No storage, no draft.
  }
  updateCharCount();
}

async function send() {
  if (model.sending) return;
  const content = view.message.value;
  const length = codePoints(content);
  if (length === 0) {
    showOutcome('rejected', 'Nothing to send: the message is empty.');
    view.message.focus();
    return;
  }
  if (length > model.maxChars) {
    showOutcome('rejected', `The message has ${formatCount(length)} characters; the limit is ${formatCount(model.maxChars)}.`);
    return;
  }
  model.sending = true;
  view.send.disabled = true;
  clearActionDiagnostics();
  showOutcome('sending', 'Sending…');
  const r = await requestJson('POST', API.messages, { content });
  model.sending = false;
  view.send.disabled = false;
  const diagnostics = diagnosticsOf(r.body);

  if (r.networkError) {
    showOutcome('error', 'The server could not be reached. Your message is still in the box.');
    announce('Sending failed: the server could not be reached.');
    return;
  }
  if (r.httpStatus === 202 || (r.ok && r.body && r.body.state === 'accepted')) {
    view.message.value = '';
    saveDraft();
    updateCharCount();
    noteAction('send', diagnostics);
    const turnId = r.body.turn_id || null;
    if (r.body.item) upsertItem(r.body.item);
    // With a live stream the whole turn may already have been reported before this answer.
    if (turnId && !model.finishedTurns.has(turnId)) {
      model.awaitedTurn = turnId;
      if (!findReply(turnId)) startPending(turnId);
      setState('busy');
      showOutcome('accepted', 'Sent. Waiting for the reply…');
    }
    keepBottom(true);
    model.updates.afterSend(turnId);
    return;
  }
  noteAction('send', diagnostics);
  const state = r.body && r.body.state ? r.body.state : (r.httpStatus >= 500 ? 'error' : 'rejected');
  const detail = messagesOf(diagnostics) || `The server answered HTTP ${r.httpStatus}.`;
  showOutcome(state, detail);
  announce(`Not sent: ${words(state)}. ${detail}`);
  if (state === 'busy') refreshStatus();
}

async function cancel() {
  view.cancel.disabled = true;
  const turnId = model.status && model.status.running_turn_id ? model.status.running_turn_id : model.awaitedTurn;
  const body = turnId ? { reason: 'cancelled from the web console', turn_id: turnId } : { reason: 'cancelled from the web console' };
  showOutcome('sending', 'Cancelling…');
  const r = await requestJson('POST', API.cancel, body);
  const diagnostics = diagnosticsOf(r.body);
  if (r.networkError) {
    view.cancel.disabled = model.state !== 'busy';
    showOutcome('error', 'The server could not be reached; the reply may still be running.');
    return;
  }
  noteAction('cancel', diagnostics);
  const codes = new Set(diagnostics.map((d) => d.code));
  if (codes.has('cancelled') && r.body && r.body.turn_id) {
    // Shown and announced once, whether this answer or the stream's event comes first.
    finishTurn(r.body.turn_id, 'cancelled', r.body.reply || null, diagnostics);
  } else {
    const state = r.body && r.body.state ? r.body.state : (r.ok ? 'ready' : 'error');
    const word = codes.has('not_running') || codes.has('already_completed') ? 'ready' : state;
    const detail = messagesOf(diagnostics) || `The server answered HTTP ${r.httpStatus}.`;
    showOutcome(word, detail);
    announce(`${words(word)}. ${detail}`);
  }
  await refreshStatus();
  await refreshTranscript();
}

// ---------------------------------------------------------------- wiring

view.message.addEventListener('input', () => {
  updateCharCount();
  saveDraft();
});

view.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    send();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !event.isComposing && model.state === 'busy') {
    event.preventDefault();
    cancel();
  }
});

view.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
view.cancel.addEventListener('click', () => cancel());
view.refresh.addEventListener('click', async () => {
  view.refresh.disabled = true;
  try {
    await model.updates.refreshNow();
  } finally {
    view.refresh.disabled = false;
  }
  announce('Refreshed.');
});
view.loadOlder.addEventListener('click', () => loadOlder());

async function boot() {
  restoreDraft();
  renderDiagnostics();
  const r = await refreshStatus();
  await refreshTranscript();
  keepBottom(true);
  switchTo(offersStream(r) ? createEventStream() : createPoller());
}

function offersStream(statusResponse) {
  const body = statusResponse && statusResponse.ok ? statusResponse.body : null;
  return Boolean(body && body.transport && body.transport.completion === 'sse' && 'EventSource' in window);
}

function switchTo(updates) {
  if (model.updates) model.updates.stop();
  model.updates = updates;
  updates.start();
}

boot();
