// Companion Console. One module, no framework, no inline code: the page runs under a strict CSP
// (script-src 'self', style-src 'self'). Everything the server says is rendered as text, except
// model output, which goes through renderModelText (Markdown + sanitiser, or plain text).
//
// Updates come from one of two interchangeable sources with the same interface
// (start, afterSend, refreshNow): an EventSource stream when the server says
// transport.completion === "sse", otherwise polling.

// The conversation shown is one of many: its routes are /api/conversations/{id}/…; one event stream
// (/api/events) carries every conversation's turns and the list's news.
const API = Object.freeze({
  conversations: '/api/conversations',
  events: '/api/events',
});

function conversationUrl(path = '') {
  return `${API.conversations}/${encodeURIComponent(model.conversationId)}${path ? `/${path}` : ''}`;
}

const DEFAULT_CONVERSATION = 'default';
const DRAFT_KEY = 'companion-console.draft';
const CONVERSATION_KEY = 'companion-console.conversation';
const PAGE_SIZE = 50;
const LIST_PAGE_SIZE = 50;
const POLL_BUSY_MS = 500;
const POLL_IDLE_MS = 5000;
const RENDER_THROTTLE_MS = 50;
const ANNOUNCE_REPLY_CHARS = 400;
const DEFAULT_MAX_CHARS = 8000;
const SEARCH_DELAY_MS = 200;
const UNTITLED = 'New chat';

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
  app: document.querySelector('.app'),
  sidebar: $('sidebar'),
  scrim: $('sidebar-scrim'),
  menuToggle: $('menu-toggle'),
  newChat: $('new-chat'),
  search: $('search'),
  conversationList: $('conversation-list'),
  conversationListEmpty: $('conversation-list-empty'),
  moreConversations: $('more-conversations'),
  heading: $('conversation-heading'),
  modelName: $('model-name'),
  providerFlag: $('provider-flag'),
  stateBadge: $('state-badge'),
  connection: $('connection'),
  exportMenu: $('export-menu'),
  exportMarkdown: $('export-markdown'),
  exportJson: $('export-json'),
  detailsToggle: $('details-toggle'),
  details: $('details'),
  detailsClose: $('details-close'),
  offlineNotice: $('offline-notice'),
  offlineText: $('offline-text'),
  scroller: $('transcript-scroll'),
  loadOlder: $('load-older'),
  transcriptInfo: $('transcript-info'),
  transcript: $('transcript'),
  transcriptEmpty: $('transcript-empty'),
  jumpLatest: $('jump-latest'),
  composer: $('composer'),
  editBanner: $('edit-banner'),
  editCancel: $('edit-cancel'),
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
  statusConversation: $('status-conversation'),
  providerLive: $('provider-live'),
  providerKind: $('provider-kind'),
  providerModel: $('provider-model'),
  providerHost: $('provider-host'),
  providerReason: $('provider-reason'),
  transportKind: $('transport-kind'),
  transportCompletion: $('transport-completion'),
  diagnostics: $('diagnostics'),
  usageInput: $('usage-input'),
  usageOutput: $('usage-output'),
  usageReasoning: $('usage-reasoning'),
  usageScope: $('usage-scope'),
  diagnosticsEmpty: $('diagnostics-empty'),
  dialog: $('dialog'),
  dialogForm: $('dialog-form'),
  dialogTitle: $('dialog-title'),
  dialogText: $('dialog-text'),
  dialogField: $('dialog-field'),
  dialogInput: $('dialog-input'),
  dialogCancel: $('dialog-cancel'),
  dialogConfirm: $('dialog-confirm'),
  announcer: $('announcer'),
};

const model = {
  conversationId: DEFAULT_CONVERSATION,
  conversations: new Map(),  // id -> { conversation, li }, the chats listed
  listCursor: null,          // next_cursor of the list's last page read
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
  editing: null,             // the user item being edited, while the composer edits it
  reachable: true,           // whether the server answered the last request
  lastUserSequence: null,    // the last user message (edit) and the last reply (regenerate), shown
  lastReplySequence: null,
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

/**
 * The line under the box. `quiet` keeps it for assistive technology and the record but out of
 * sight, for what the reply's own bubble already says (how a turn ended).
 */
function showOutcome(state, text, { quiet = false } = {}) {
  view.outcome.hidden = false;
  view.outcome.classList.toggle('visually-hidden', quiet);
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
let codeLanguages = [];

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
      // The sanitiser drops every class, so a code block's language is noted here, in document
      // order, and given to the highlighter after sanitising (see highlightCode).
      code(token) {
        codeLanguages.push(token && typeof token.lang === 'string' ? token.lang.trim().split(/\s+/)[0].toLowerCase() : '');
        return false;
      },
    },
  });
  purifierReady = true;
}

function highlighterAvailable() {
  const hljs = window.hljs;
  return Boolean(hljs && typeof hljs.highlightElement === 'function' && typeof hljs.getLanguage === 'function');
}

/**
 * Colours code blocks whose fence names a language highlight.js knows; others stay plain (guessing
 * the language of every block costs more than it gives). The highlighter reads the code's text
 * and writes escaped spans only.
 */
function highlightCode(container, languages) {
  if (!highlighterAvailable()) return;
  const blocks = container.querySelectorAll('pre > code');
  blocks.forEach((code, i) => {
    const language = languages[i];
    if (!language || !/^[a-z0-9_+#.-]{1,32}$/.test(language) || !window.hljs.getLanguage(language)) return;
    code.className = `language-${language}`;
    window.hljs.highlightElement(code);
  });
}

function decorateCodeBlocks(container) {
  for (const pre of container.querySelectorAll('pre')) {
    if (pre.parentElement && pre.parentElement.classList.contains('code-block')) continue;
    const wrapper = document.createElement('div');
    wrapper.className = 'code-block';
    pre.replaceWith(wrapper);
    wrapper.append(pre);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn copy';
    setButtonLabel(button, 'Copy', ' code');
    wrapper.append(button);
  }
}

/** A button whose accessible name starts with its visible word, e.g. "Copy" read as "Copy code". */
function setButtonLabel(button, visible, hiddenRest = '') {
  const word = document.createElement('span');
  word.className = 'button-word';
  word.textContent = visible;
  const rest = document.createElement('span');
  rest.className = 'visually-hidden';
  rest.textContent = hiddenRest;
  button.replaceChildren(word, ...(hiddenRest ? [rest] : []));
}

/** Markdown to a sanitised DOM fragment, code highlighted; null when the libraries are missing. */
function markdownFragment(text) {
  if (!markdownAvailable()) return null;
  preparePurifier();
  codeLanguages = [];
  const html = window.marked.parse(String(text ?? ''), { async: false });
  const languages = codeLanguages;
  const fragment = window.DOMPurify.sanitize(html, PURIFY_CONFIG);
  highlightCode(fragment, languages);
  return fragment;
}

/** The one place model output becomes DOM. */
function renderModelText(el, text) {
  const fragment = markdownFragment(text);
  if (fragment) {
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

/**
 * A streaming reply rendered as it grows, without parsing the whole reply again for each piece:
 * the text is cut at block boundaries (a blank line outside a code fence); every block before the
 * last boundary is parsed once, appended, and never touched again; only the block still being
 * written is parsed again. The stored reply replaces all of it once, when the turn ends.
 */
function createIncrementalRenderer(el) {
  const frozen = document.createElement('div');
  frozen.className = 'stream-done';
  const tail = document.createElement('div');
  tail.className = 'stream-tail';
  let frozenUpTo = 0;      // text before this index is rendered in `frozen` for good
  let scannedUpTo = 0;     // lines before this index were scanned for fences and boundaries
  let inFence = null;      // the fence that opened the current code block, or null
  let boundary = 0;        // the latest safe cut found
  let renderedTail = null;
  const useMarkdown = markdownAvailable();
  el.classList.add(useMarkdown ? 'markdown' : 'plain-text');
  el.replaceChildren(frozen, tail);

  function scan(text) {
    // Only whole lines are scanned; the last, unfinished one waits for its newline.
    let lineStart = scannedUpTo;
    for (;;) {
      const newline = text.indexOf('\n', lineStart);
      if (newline < 0) break;
      const line = text.slice(lineStart, newline);
      const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (inFence === null) inFence = fence[1];
        else if (fence[1][0] === inFence[0] && fence[1].length >= inFence.length && line.trim() === fence[1]) inFence = null;
      } else if (inFence === null && line.trim() === '') {
        boundary = newline + 1;
      }
      lineStart = newline + 1;
    }
    scannedUpTo = lineStart;
  }

  function renderInto(container, text) {
    if (!useMarkdown) {
      container.textContent = text;
      return;
    }
    const fragment = markdownFragment(text);
    container.replaceChildren(fragment);
    decorateCodeBlocks(container);
  }

  return {
    update(text) {
      scan(text);
      if (boundary > frozenUpTo) {
        const block = document.createElement('div');
        block.className = 'stream-block';
        renderInto(block, text.slice(frozenUpTo, boundary));
        frozen.append(block);
        frozenUpTo = boundary;
        renderedTail = null;
      }
      const rest = text.slice(frozenUpTo);
      if (rest !== renderedTail) {
        renderInto(tail, rest);
        renderedTail = rest;
      }
    },
  };
}

function renderUserText(el, text) {
  el.classList.add('plain-text');
  el.textContent = String(text ?? '');
}

// The buttons inside the transcript: a code block's Copy copies its code; a message's Copy copies
// its words as stored (a reply's Markdown), never its reasoning, its ending note or its token
// counts; Regenerate, Retry and Edit act on the last exchange.
view.transcript.addEventListener('click', async (event) => {
  const button = event.target.closest('button');
  if (!button || !view.transcript.contains(button)) return;
  const li = button.closest('li[data-sequence]');
  const shown = li ? model.items.get(Number(li.dataset.sequence)) : null;
  if (button.classList.contains('regenerate') || button.classList.contains('retry')) {
    regenerate();
    return;
  }
  if (button.classList.contains('edit')) {
    if (shown) startEditing(shown.item);
    return;
  }
  if (!button.classList.contains('copy') && !button.classList.contains('copy-reply')) return;
  let text = '';
  if (button.classList.contains('copy-reply')) {
    text = shown ? String(shown.item.content ?? '') : '';
  } else {
    const code = button.parentElement.querySelector('pre');
    text = code ? code.textContent : '';
  }
  const word = button.querySelector('.button-word') || button;
  try {
    await navigator.clipboard.writeText(text);
    word.textContent = 'Copied';
  } catch (e) {
    word.textContent = 'Copy failed';
  }
  window.setTimeout(() => { word.textContent = 'Copy'; }, 1500);
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
  const status = document.createElement('span');
  status.className = 'item-status';
  if (NOTABLE_ITEM_STATUS.has(item.status) || streaming || superseded) {
    const badge = document.createElement('span');
    setBadge(badge, item.status);
    status.append(badge);
  }
  head.append(role, time, status);
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

  if (!streaming) {
    const foot = document.createElement('div');
    foot.className = 'item-foot';
    const usage = assistant ? formatUsage(item.usage) : '';
    if (usage) {
      const line = document.createElement('span');
      line.className = 'item-usage';
      line.textContent = usage;
      foot.append(line);
    }
    if (item.content) {
      foot.append(actionButton(assistant ? 'copy-reply' : 'copy-reply copy-message', 'Copy', assistant ? ' reply' : ' message'));
    }
    if (!superseded && assistant && item.sequence === model.lastReplySequence) {
      // A reply that did not simply finish offers to try again; one that did, another answer.
      if (NOTABLE_ITEM_STATUS.has(item.status)) foot.prepend(actionButton('retry btn-primary', 'Retry', ' this reply'));
      else foot.append(actionButton('regenerate', 'Regenerate', ' reply'));
    }
    if (!superseded && !assistant && item.sequence === model.lastUserSequence) {
      foot.append(actionButton('edit', 'Edit', ' message'));
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

function actionButton(kind, word, hiddenRest) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `btn item-action ${kind}`;
  setButtonLabel(button, word, hiddenRest);
  return button;
}

function sameItem(a, b) {
  return a.content === b.content && a.status === b.status && a.created_at === b.created_at && a.role === b.role
    && (a.reasoning ?? null) === (b.reasoning ?? null) && (a.reasoning_ms ?? null) === (b.reasoning_ms ?? null)
    && JSON.stringify(a.usage ?? null) === JSON.stringify(b.usage ?? null)
    && JSON.stringify(a.diagnostics ?? []) === JSON.stringify(b.diagnostics ?? []);
}

/** Shows a stored item (new or changed); `batch` leaves the counts and the last-exchange buttons to the caller. */
function upsertItem(item, { batch = false } = {}) {
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
      if (!batch) refreshLastActions();
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
  if (!batch) {
    refreshLastActions();
    updateTranscriptMeta();
  }
}

/**
 * Regenerate belongs to the last reply and Edit to the last user message (superseded ones aside):
 * when either moves, the two bubbles concerned are built again.
 */
function refreshLastActions() {
  let lastUser = null;
  let lastReply = null;
  for (const [sequence, { item }] of model.items) {
    if (item.status === 'superseded') continue;
    if (item.role === 'user') {
      if (lastUser === null || sequence > lastUser) lastUser = sequence;
    } else if (lastReply === null || sequence > lastReply) {
      lastReply = sequence;
    }
  }
  if (lastReply !== null && lastUser !== null && lastReply < lastUser) lastReply = null;
  const before = [model.lastUserSequence, model.lastReplySequence];
  model.lastUserSequence = lastUser;
  model.lastReplySequence = lastReply;
  for (const sequence of new Set([...before, lastUser, lastReply])) {
    if (sequence === null) continue;
    if ((before[0] === sequence) === (lastUser === sequence) && (before[1] === sequence) === (lastReply === sequence)) continue;
    const shown = model.items.get(sequence);
    if (shown) fillItem(shown.li, shown.item);
  }
}

function applyPage(page, { older = false } = {}) {
  if (!page || !Array.isArray(page.items)) return;
  const wasNearBottom = nearBottom();
  const heightBefore = view.scroller.scrollHeight;
  for (const item of page.items) upsertItem(item, { batch: true });
  refreshLastActions();
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
  const conversationId = model.conversationId;
  const r = await requestJson('GET', `${conversationUrl('transcript')}?limit=${PAGE_SIZE}`);
  if (conversationId !== model.conversationId) return r;
  if (r.ok) {
    const first = model.items.size === 0;
    // How long the page takes to show once its data is here (User Timing, read by the tests).
    const started = performance.now();
    applyPage(r.body);
    if (first) measure('console:open-page', started, { items: r.body.items ? r.body.items.length : 0 });
  } else if (r.httpStatus === 404) {
    conversationGone(conversationId);
  } else if (!r.networkError) {
    noteAction('transcript', diagnosticsOf(r.body));
  }
  return r;
}

let loadingOlder = false;

async function loadOlder() {
  if (model.olderStart === null || loadingOlder) return;
  loadingOlder = true;
  view.loadOlder.disabled = true;
  const conversationId = model.conversationId;
  const r = await requestJson('GET', `${conversationUrl('transcript')}?start=${encodeURIComponent(model.olderStart)}&limit=${PAGE_SIZE}`);
  view.loadOlder.disabled = false;
  loadingOlder = false;
  if (conversationId !== model.conversationId) return;
  if (r.ok) {
    const started = performance.now();
    applyPage(r.body, { older: true });
    measure('console:older-page', started, { items: r.body.items ? r.body.items.length : 0 });
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
  performance.clearMeasures('console:stream-render');
  const wasNearBottom = nearBottom();
  const li = itemElement({ sequence: -1, role: 'assistant', content: '', status: 'streaming', source: null, created_at: null });
  li.classList.add('pending');
  li.dataset.pending = 'true';
  li.removeAttribute('data-sequence');
  li.setAttribute('aria-busy', 'true');
  view.transcript.append(li);
  const streaming = Boolean(model.updates && model.updates.mode === 'sse');
  const body = li.querySelector('.item-body');
  model.pending = {
    turnId, text: '', rendered: '', li, body, renderer: createIncrementalRenderer(body), timer: null, streaming,
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

/** Records how long a piece of work took, as a User Timing measure with a detail. */
function measure(name, started, detail) {
  try {
    performance.measure(name, { start: started, end: performance.now(), detail });
  } catch (e) {
    // An old browser without measure options: nothing is recorded.
  }
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
    // Measured (User Timing) so the time a piece costs at the end of a long reply can be read.
    const started = performance.now();
    pending.renderer.update(pending.text);
    pending.rendered = pending.text;
    measure('console:stream-render', started, { characters: pending.text.length });
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
  if (status.conversation_id && status.conversation_id !== model.conversationId) return;
  model.status = status;
  if (status.limits && Number.isInteger(status.limits.max_message_characters)) {
    model.maxChars = status.limits.max_message_characters;
    updateCharCount();
  }
  setState(status.state);

  const worker = status.worker || {};
  setText(view.statusWorker, worker.label && worker.id ? `${worker.label} (${worker.id})` : worker.label || worker.id);
  setText(view.statusAuthority, words(status.authority || worker.authority));
  setText(view.statusCapabilities, Array.isArray(worker.capabilities) ? worker.capabilities.map(words).join(', ') : null);
  setText(view.statusTurn, status.running_turn_id, 'none');
  setText(view.statusConversation, status.conversation_id || model.conversationId);

  const provider = status.provider || {};
  const transport = status.transport || {};
  const live = provider.live === true;
  // The header names the model and says whether it is a live one; the rest waits in Details.
  setText(view.modelName, provider.model || provider.kind, 'Companion');
  view.providerFlag.className = `provider-flag ${live ? 'is-live' : 'not-live'}`;
  view.providerFlag.textContent = live ? 'live model' : 'offline model';
  view.providerLive.className = `live-flag ${live ? 'is-live' : 'not-live'}`;
  view.providerLive.textContent = live ? 'Live model' : 'Not a live model';
  setText(view.providerKind, words(provider.kind));
  setText(view.providerModel, provider.model);
  setText(view.providerHost, provider.host, 'none');
  setText(view.providerReason, provider.reason);
  setText(view.transportKind, words(transport.kind));
  setText(view.transportCompletion, transport.completion === 'sse' ? 'live stream (server-sent events)' : words(transport.completion));

  // Said once, in the server's own words: its first sentence on the matter, never invented.
  if (!live) {
    const offlineDiagnostics = diagnosticsOf(status).filter((d) => d.code === 'provider_offline');
    const sentence = transport.limitation || messagesOf(offlineDiagnostics) || provider.reason
      || `Provider "${provider.kind || 'unknown'}" reports live = false.`;
    if (view.offlineText.textContent !== sentence) view.offlineText.textContent = sentence;
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
  const busy = model.state === 'busy';
  view.cancel.disabled = !busy;
  // While a reply runs, Stop stands beside Send (a new message would only be told "busy").
  view.cancel.hidden = !busy;
  view.composer.classList.toggle('is-busy', busy);
  // Regenerate, Retry and Edit wait while a reply runs: the server would only say "busy".
  view.transcript.classList.toggle('is-busy', busy);
  if (previous !== model.state && previous !== 'unknown' && previous !== 'offline' && model.state !== 'offline') {
    announce(`Companion is ${words(model.state)}.`);
  }
}

/** The header follows the server: unreachable is said as offline, until it answers again. */
function noteReachable(reachable) {
  if (reachable === model.reachable) return;
  model.reachable = reachable;
  if (!reachable) {
    setState('offline');
    announce('The server cannot be reached; reconnecting.');
  } else {
    announce('The server is back.');
  }
}

async function refreshStatus() {
  const conversationId = model.conversationId;
  const r = await requestJson('GET', conversationUrl('status'));
  if (conversationId !== model.conversationId) return r;
  if (r.ok) {
    noteReachable(true);
    applyStatus(r.body);
  } else if (r.networkError) {
    noteReachable(false);
    setConnection('down', 'offline, reconnecting');
  } else if (r.httpStatus === 404) {
    conversationGone(conversationId);
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
  // The bubble says how the reply ended (and Retry is there); the line under the box keeps quiet.
  showOutcome(endState, [label, endState === 'completed' ? '' : detail].filter(Boolean).join(' '),
    { quiet: Boolean(reply) || endState === 'completed' });
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

  // Turn and state events of the conversation shown drive its transcript; those of another only
  // mark it busy or ready in the list. The list's own news (created, renamed, deleted) keeps it current
  // across tabs.
  const handlers = {
    turn_started(data) {
      setText(view.statusTurn, data.turn_id, 'none');
      if (data.item) {
        const wasNearBottom = nearBottom();
        upsertItem(data.item);
        keepBottom(wasNearBottom);
      }
      startPending(data.turn_id);
      setState('busy');
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
  const listHandlers = {
    conversation_created(data) { if (data.conversation) upsertConversation(data.conversation, { top: true }); },
    conversation_renamed(data) { if (data.conversation) upsertConversation(data.conversation); },
    conversation_deleted(data) { conversationGone(data.conversation_id); },
    state_changed(data) { markConversationState(data.conversation_id, data.to); },
  };
  for (const name of Object.keys(TURN_END_EVENTS)) {
    listHandlers[name] = (data) => {
      markConversationState(data.conversation_id, 'ready');
      scheduleListRefresh();
    };
  }

  function dispatch(name, data) {
    const ownConversation = !data.conversation_id || data.conversation_id === model.conversationId;
    if (listHandlers[name]) listHandlers[name](data);
    if (ownConversation && handlers[name]) handlers[name](data);
  }

  function connect() {
    retryTimer = null;
    const url = cursor === null ? API.events : `${API.events}?cursor=${encodeURIComponent(cursor)}`;
    source = new EventSource(url);
    setConnection('connecting', 'connecting');
    source.addEventListener('open', () => {
      retryMs = 1000;
      setConnection('live', 'live');
      noteReachable(true);
      // Anything that happened while disconnected before the first cursor is in the transcript.
      refreshStatus();
      refreshTranscript();
      scheduleListRefresh();
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
      // Whether the server itself is gone or only the stream broke: the status request tells.
      refreshStatus();
    });
    for (const name of new Set([...Object.keys(handlers), ...Object.keys(listHandlers)])) {
      source.addEventListener(name, (event) => {
        const data = parse(event);
        if (fresh(data)) dispatch(name, data);
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
      scheduleListRefresh();
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
  // On a phone the count shows only as the limit comes near.
  view.charCount.classList.toggle('is-far', n < model.maxChars * 0.8);
  if (over) view.message.setAttribute('aria-invalid', 'true');
  else view.message.removeAttribute('aria-invalid');
}

/** Each conversation keeps its own draft; the default one keeps the key earlier releases used. */
function draftKey() {
  return model.conversationId === DEFAULT_CONVERSATION ? DRAFT_KEY : `${DRAFT_KEY}.${model.conversationId}`;
}

function saveDraft() {
  if (model.editing !== null) return; // an edit is not a draft: stopping it gives the draft back
  try {
    if (view.message.value) localStorage.setItem(draftKey(), view.message.value);
    else localStorage.removeItem(draftKey());
  } catch (e) {
    // Storage may be disabled; the draft then lives only in the page.
  }
}

function restoreDraft() {
  let draft = '';
  try {
    draft = localStorage.getItem(draftKey()) || '';
  } catch (e) {
    // No storage, no draft.
  }
  view.message.value = draft;
  updateCharCount();
}

function hideOutcome() {
  view.outcome.hidden = true;
}

/** Checks a message before it leaves; says why not and returns false when it cannot be sent. */
function sendable(content) {
  const length = codePoints(content);
  if (length === 0 || content.trim() === '') {
    showOutcome('rejected', 'Nothing to send: the message is empty.');
    view.message.focus();
    return false;
  }
  if (length > model.maxChars) {
    showOutcome('rejected', `The message has ${formatCount(length)} characters; the limit is ${formatCount(model.maxChars)}.`);
    return false;
  }
  return true;
}

/** Puts words the server never took back into the box, ahead of anything typed since. */
function giveBack(content) {
  const typed = view.message.value;
  view.message.value = typed && typed !== content ? `${content}\n${typed}` : content;
  updateCharCount();
  saveDraft();
}

async function send() {
  if (model.sending) return;
  const content = view.message.value;
  if (!sendable(content)) return;
  const editing = model.editing;
  model.sending = true;
  view.send.disabled = true;
  // The box empties on Enter: what is typed next is the next message, never lost to this answer.
  stopEditing({ giveDraftBack: false });
  view.message.value = '';
  updateCharCount();
  saveDraft();
  clearActionDiagnostics();
  showOutcome('sending', 'Sending…');
  const conversationId = model.conversationId;
  const r = await requestJson('POST', conversationUrl(editing !== null ? 'edit' : 'messages'), { content });
  model.sending = false;
  view.send.disabled = false;
  if (conversationId !== model.conversationId) return;
  if (!turnAccepted(r)) {
    giveBack(content);
    if (editing !== null) startEditing(model.items.get(editing)?.item || null, { content: view.message.value });
  }
}

async function regenerate() {
  if (model.sending) return;
  model.sending = true;
  clearActionDiagnostics();
  showOutcome('sending', 'Asking again…');
  const conversationId = model.conversationId;
  const r = await requestJson('POST', conversationUrl('regenerate'), {});
  model.sending = false;
  if (conversationId === model.conversationId) turnAccepted(r);
}

/**
 * The answer to a message, an edit or a regenerate: a started turn streams into a new bubble; a
 * refusal is said under the composer. Returns whether the turn started.
 */
function turnAccepted(r) {
  const diagnostics = diagnosticsOf(r.body);
  if (r.networkError) {
    noteReachable(false);
    showOutcome('error', 'The server could not be reached. Nothing was sent.');
    announce('Sending failed: the server could not be reached.');
    return false;
  }
  if (r.httpStatus === 202 || (r.ok && r.body && r.body.state === 'accepted')) {
    noteAction('send', diagnostics);
    const turnId = r.body.turn_id || null;
    if (r.body.item) upsertItem(r.body.item);
    // With a live stream the whole turn may already have been reported before this answer.
    if (turnId && !model.finishedTurns.has(turnId)) {
      model.awaitedTurn = turnId;
      if (!findReply(turnId)) startPending(turnId);
      setState('busy');
      // The streaming bubble says what is happening; the line under the box has nothing to add.
      hideOutcome();
    }
    keepBottom(true);
    scheduleListRefresh();
    model.updates.afterSend(turnId);
    return true;
  }
  noteAction('send', diagnostics);
  const state = r.body && r.body.state ? r.body.state : (r.httpStatus >= 500 ? 'error' : 'rejected');
  const detail = messagesOf(diagnostics) || `The server answered HTTP ${r.httpStatus}.`;
  showOutcome(state, detail);
  announce(`Not sent: ${words(state)}. ${detail}`);
  if (state === 'busy') refreshStatus();
  return false;
}

async function cancel() {
  view.cancel.disabled = true;
  const turnId = model.status && model.status.running_turn_id ? model.status.running_turn_id : model.awaitedTurn;
  const body = turnId ? { reason: 'cancelled from the web console', turn_id: turnId } : { reason: 'cancelled from the web console' };
  showOutcome('sending', 'Stopping…');
  const r = await requestJson('POST', conversationUrl('cancel'), body);
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

// Edit: the last message's words go into the box; sending replaces the message and its answer.
let draftBeforeEdit = '';

function startEditing(item, { content } = {}) {
  if (!item || item.role !== 'user') return;
  if (model.editing === null) draftBeforeEdit = view.message.value;
  model.editing = item.sequence;
  view.editBanner.hidden = false;
  view.message.value = content ?? String(item.content ?? '');
  updateCharCount();
  view.send.textContent = 'Save and send';
  view.message.focus();
}

function stopEditing({ giveDraftBack = true } = {}) {
  if (model.editing === null) return;
  model.editing = null;
  view.editBanner.hidden = true;
  view.send.textContent = 'Send';
  if (giveDraftBack) {
    view.message.value = draftBeforeEdit;
    updateCharCount();
  }
  draftBeforeEdit = '';
}

// ---------------------------------------------------------------- conversations

const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
let listRequest = 0;
let listRefreshTimer = null;

function titleOf(conversation) {
  return conversation && conversation.title ? conversation.title : UNTITLED;
}

function conversationRow(conversation) {
  const li = document.createElement('li');
  li.dataset.conversation = conversation.id;
  fillConversationRow(li, conversation);
  return li;
}

/** Builds a row afresh only when what it shows changed, so a row under the pointer stays put. */
function fillConversationRow(li, conversation) {
  const current = conversation.id === model.conversationId;
  const shown = JSON.stringify([current, conversation.title, conversation.state, conversation.preview]);
  if (li.dataset.shown === shown) return;
  li.dataset.shown = shown;
  li.classList.toggle('is-current', current);
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'conv-open';
  if (current) open.setAttribute('aria-current', 'page');
  const title = document.createElement('span');
  title.className = 'conv-title';
  title.textContent = titleOf(conversation);
  open.append(title);
  if (conversation.state === 'busy') {
    const busy = document.createElement('span');
    busy.className = 'conv-busy';
    busy.textContent = 'replying…';
    open.append(busy);
  } else if (conversation.preview) {
    const preview = document.createElement('span');
    preview.className = 'conv-preview';
    preview.textContent = conversation.preview;
    open.append(preview);
  }
  const rename = document.createElement('button');
  rename.type = 'button';
  rename.className = 'conv-action conv-rename';
  setButtonLabel(rename, 'Rename', ` chat ${titleOf(conversation)}`);
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'conv-action conv-delete';
  setButtonLabel(remove, 'Delete', ` chat ${titleOf(conversation)}`);
  li.replaceChildren(open, rename, remove);
}

function upsertConversation(conversation, { top = false, inOrder = false } = {}) {
  if (!conversation || !conversation.id) return;
  const known = model.conversations.get(conversation.id);
  if (known) {
    known.conversation = conversation;
    fillConversationRow(known.li, conversation);
    if (top && view.conversationList.firstChild !== known.li) view.conversationList.prepend(known.li);
    if (inOrder && view.conversationList.lastChild !== known.li) view.conversationList.append(known.li);
  } else {
    const li = conversationRow(conversation);
    if (top) view.conversationList.prepend(li);
    else view.conversationList.append(li);
    model.conversations.set(conversation.id, { conversation, li });
  }
  view.conversationListEmpty.hidden = model.conversations.size > 0;
  if (conversation.id === model.conversationId) updateHeading();
}

function markConversationState(id, state) {
  const known = id ? model.conversations.get(id) : null;
  if (!known || (state !== 'busy' && state !== 'ready') || known.conversation.state === state) return;
  known.conversation = { ...known.conversation, state };
  fillConversationRow(known.li, known.conversation);
}

function updateHeading() {
  const known = model.conversations.get(model.conversationId);
  const title = known ? titleOf(known.conversation) : UNTITLED;
  view.heading.textContent = title;
  document.title = `${title} · Companion Console`;
}

async function loadConversations({ more = false } = {}) {
  const request = ++listRequest;
  const params = new URLSearchParams({ limit: String(LIST_PAGE_SIZE) });
  const search = view.search.value.trim();
  if (search) params.set('search', search.slice(0, 200));
  if (more && model.listCursor) params.set('cursor', model.listCursor);
  const r = await requestJson('GET', `${API.conversations}?${params}`);
  if (request !== listRequest || !r.ok || !r.body || !Array.isArray(r.body.conversations)) return;
  if (!more) {
    // Rows already shown are kept (and moved into the new order), not rebuilt.
    const listed = new Set(r.body.conversations.map((c) => c.id));
    for (const [id, { li }] of model.conversations) {
      if (!listed.has(id)) {
        li.remove();
        model.conversations.delete(id);
      }
    }
  }
  for (const conversation of r.body.conversations) upsertConversation(conversation, { inOrder: true });
  model.listCursor = r.body.next_cursor || null;
  view.moreConversations.hidden = !model.listCursor;
  view.conversationListEmpty.hidden = model.conversations.size > 0;
  updateHeading();
}

/** Many events in a row (a turn's end in several tabs) reload the list once. */
function scheduleListRefresh() {
  if (listRefreshTimer !== null) return;
  listRefreshTimer = window.setTimeout(() => {
    listRefreshTimer = null;
    loadConversations();
  }, 300);
}

function rememberConversation() {
  try {
    localStorage.setItem(CONVERSATION_KEY, model.conversationId);
  } catch (e) {
    // No storage: the address still names it.
  }
  const hash = model.conversationId === DEFAULT_CONVERSATION ? '' : `#c=${encodeURIComponent(model.conversationId)}`;
  if (window.location.hash !== hash) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
  }
}

/** The conversation to open first: the address's, else the one last open here, else the default. */
function initialConversation() {
  const fromHash = /^#c=([^&]+)$/.exec(window.location.hash);
  if (fromHash) {
    const id = decodeURIComponent(fromHash[1]);
    if (CONVERSATION_ID.test(id)) return id;
  }
  try {
    const stored = localStorage.getItem(CONVERSATION_KEY);
    if (stored && CONVERSATION_ID.test(stored)) return stored;
  } catch (e) {
    // No storage.
  }
  return DEFAULT_CONVERSATION;
}

function updateExportLinks() {
  view.exportMarkdown.href = `${conversationUrl('transcript/export')}?format=markdown`;
  view.exportJson.href = `${conversationUrl('transcript/export')}?format=json`;
}

async function openConversation(id, { focus = true } = {}) {
  closeSidebar();
  if (id === model.conversationId && model.status) {
    if (focus) view.message.focus();
    return;
  }
  saveDraft();
  stopEditing();
  model.conversationId = id;
  model.status = null;
  clearTranscript();
  clearActionDiagnostics();
  hideOutcome();
  restoreDraft();
  rememberConversation();
  updateExportLinks();
  updateHeading();
  for (const { li, conversation } of model.conversations.values()) fillConversationRow(li, conversation);
  const r = await refreshStatus();
  if (id !== model.conversationId) return;
  // A reply already running here streams on from now; what came before shows when it is stored.
  if (r.ok && r.body && r.body.state === 'busy' && r.body.running_turn_id) startPending(r.body.running_turn_id);
  await refreshTranscript();
  keepBottom(true);
  if (focus) view.message.focus();
}

/** A conversation deleted here, in another tab, or never there: it leaves the list, and the page if shown. */
function conversationGone(id) {
  const known = model.conversations.get(id);
  if (known) {
    known.li.remove();
    model.conversations.delete(id);
  }
  view.conversationListEmpty.hidden = model.conversations.size > 0;
  if (id === model.conversationId && id === DEFAULT_CONVERSATION) {
    // The default chat comes back, empty, the moment it is asked for.
    announce('This chat was deleted.');
    clearTranscript();
    refreshStatus().then(() => refreshTranscript());
    scheduleListRefresh();
  } else if (id === model.conversationId) {
    try {
      localStorage.removeItem(draftKey());
    } catch (e) {
      // No storage.
    }
    announce('This chat was deleted.');
    const next = [...model.conversations.keys()][0] || DEFAULT_CONVERSATION;
    model.status = null;
    openConversation(next, { focus: false });
  }
}

async function newChat() {
  // An empty chat is already a new one: no second empty chat is made.
  if (model.items.size === 0 && !model.pending && model.status) {
    closeSidebar();
    view.message.focus();
    return;
  }
  const r = await requestJson('POST', API.conversations, {});
  if (r.ok && r.body && r.body.conversation) {
    upsertConversation(r.body.conversation, { top: true });
    await openConversation(r.body.conversation.id);
  } else {
    showOutcome(r.body?.state || 'error', messagesOf(diagnosticsOf(r.body)) || 'A new chat could not be started.');
  }
}

async function renameConversation(id) {
  const known = model.conversations.get(id);
  const title = await ask({ title: 'Rename chat', confirm: 'Rename', field: known ? known.conversation.title || '' : '' });
  if (title === null) return;
  const trimmed = title.trim();
  if (!trimmed) return;
  const r = await requestJson('PATCH', `${API.conversations}/${encodeURIComponent(id)}`, { title: trimmed });
  if (r.ok && r.body && r.body.conversation) {
    upsertConversation(r.body.conversation);
    announce(`Renamed to ${titleOf(r.body.conversation)}.`);
  } else {
    showOutcome(r.body?.state || 'error', messagesOf(diagnosticsOf(r.body)) || 'The chat could not be renamed.');
  }
}

async function deleteConversation(id) {
  const known = model.conversations.get(id);
  const sure = await ask({
    title: 'Delete chat?',
    text: `“${titleOf(known && known.conversation)}” and all its messages will be gone for good.`,
    confirm: 'Delete',
    danger: true,
  });
  if (!sure) return;
  const r = await requestJson('DELETE', `${API.conversations}/${encodeURIComponent(id)}`);
  if (r.ok) {
    conversationGone(id);
    announce('Chat deleted.');
  } else {
    showOutcome(r.body?.state || 'error', messagesOf(diagnosticsOf(r.body)) || 'The chat could not be deleted.');
  }
}

/** A modal question: resolves to the text typed (with a field), true (without), or null when dismissed. */
function ask({ title, text = '', field, confirm, danger = false }) {
  return new Promise((resolve) => {
    view.dialogTitle.textContent = title;
    view.dialogText.textContent = text;
    view.dialogText.hidden = !text;
    view.dialogField.hidden = field === undefined;
    view.dialogInput.value = field ?? '';
    view.dialogConfirm.textContent = confirm;
    view.dialogConfirm.className = `btn ${danger ? 'btn-danger-solid' : 'btn-primary'}`;
    const opener = document.activeElement;
    const finish = (value) => {
      view.dialogForm.removeEventListener('submit', onSubmit);
      view.dialogCancel.removeEventListener('click', onDismiss);
      view.dialog.removeEventListener('cancel', onDismiss);
      if (view.dialog.open) view.dialog.close();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(value);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      finish(field === undefined ? true : view.dialogInput.value);
    };
    const onDismiss = (event) => {
      event.preventDefault();
      finish(null);
    };
    view.dialogForm.addEventListener('submit', onSubmit);
    view.dialogCancel.addEventListener('click', onDismiss);
    view.dialog.addEventListener('cancel', onDismiss);
    view.dialog.showModal();
    (field === undefined ? view.dialogCancel : view.dialogInput).focus();
    if (field !== undefined) view.dialogInput.select();
  });
}

// ---------------------------------------------------------------- panels

function openSidebar() {
  view.app.classList.add('sidebar-open');
  view.scrim.hidden = false;
  view.menuToggle.setAttribute('aria-expanded', 'true');
  view.search.focus();
}

function closeSidebar() {
  if (!view.app.classList.contains('sidebar-open')) return;
  view.app.classList.remove('sidebar-open');
  view.scrim.hidden = true;
  view.menuToggle.setAttribute('aria-expanded', 'false');
}

function setDetailsOpen(open) {
  view.details.hidden = !open;
  view.detailsToggle.setAttribute('aria-expanded', String(open));
  if (open) view.detailsClose.focus();
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
  if (event.key !== 'Escape' || event.isComposing || view.dialog.open) return;
  if (model.state === 'busy') {
    event.preventDefault();
    cancel();
  } else if (model.editing !== null) {
    event.preventDefault();
    stopEditing();
  } else if (view.app.classList.contains('sidebar-open')) {
    closeSidebar();
    view.menuToggle.focus();
  } else if (!view.details.hidden) {
    setDetailsOpen(false);
    view.detailsToggle.focus();
  }
});

view.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
view.cancel.addEventListener('click', () => cancel());
view.editCancel.addEventListener('click', () => {
  stopEditing();
  view.message.focus();
});
view.refresh.addEventListener('click', async () => {
  view.refresh.disabled = true;
  try {
    await model.updates.refreshNow();
    await loadConversations();
  } finally {
    view.refresh.disabled = false;
  }
  announce('Refreshed.');
});
view.loadOlder.addEventListener('click', () => loadOlder());

// Scrolling up shows the way back down; near the top, the page before loads by itself.
let lastScrollTop = 0;
view.scroller.addEventListener('scroll', () => {
  const top = view.scroller.scrollTop;
  view.jumpLatest.hidden = nearBottom();
  if (top < lastScrollTop && top < 400 && model.olderStart !== null && !loadingOlder) loadOlder();
  lastScrollTop = top;
}, { passive: true });
view.jumpLatest.addEventListener('click', () => {
  keepBottom(true);
  view.jumpLatest.hidden = true;
  view.message.focus();
});

view.newChat.addEventListener('click', () => newChat());
view.conversationList.addEventListener('click', (event) => {
  const button = event.target.closest('button');
  const li = button ? button.closest('li[data-conversation]') : null;
  if (!li) return;
  const id = li.dataset.conversation;
  if (button.classList.contains('conv-rename')) renameConversation(id);
  else if (button.classList.contains('conv-delete')) deleteConversation(id);
  else openConversation(id);
});
let searchTimer = null;
view.search.addEventListener('input', () => {
  if (searchTimer !== null) window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    searchTimer = null;
    loadConversations();
  }, SEARCH_DELAY_MS);
});
view.moreConversations.addEventListener('click', () => loadConversations({ more: true }));
view.menuToggle.addEventListener('click', () => {
  if (view.app.classList.contains('sidebar-open')) closeSidebar();
  else openSidebar();
});
view.scrim.addEventListener('click', () => closeSidebar());
view.detailsToggle.addEventListener('click', () => setDetailsOpen(view.details.hidden));
view.detailsClose.addEventListener('click', () => {
  setDetailsOpen(false);
  view.detailsToggle.focus();
});
// The export menu closes once a format is chosen, or when the reader clicks elsewhere.
view.exportMenu.addEventListener('click', (event) => {
  if (event.target.closest('a')) window.setTimeout(() => { view.exportMenu.open = false; }, 0);
});
document.addEventListener('click', (event) => {
  if (view.exportMenu.open && !view.exportMenu.contains(event.target)) view.exportMenu.open = false;
});

async function boot() {
  model.conversationId = initialConversation();
  restoreDraft();
  renderDiagnostics();
  updateExportLinks();
  rememberConversation();
  // Focus goes to the box, except on a touch screen, where it would pop the keyboard up unasked.
  if (!window.matchMedia('(pointer: coarse)').matches) view.message.focus();
  loadConversations();
  if (model.conversationId !== DEFAULT_CONVERSATION) {
    // The chat open here last time may have been deleted since (or belong to an earlier server).
    const known = await requestJson('GET', conversationUrl());
    if (known.httpStatus === 404 || known.httpStatus === 400) {
      model.conversationId = DEFAULT_CONVERSATION;
      restoreDraft();
      updateExportLinks();
      rememberConversation();
    }
  }
  updateHeading();
  const r = await refreshStatus();
  if (r.ok && r.body && r.body.state === 'busy' && r.body.running_turn_id) startPending(r.body.running_turn_id);
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
