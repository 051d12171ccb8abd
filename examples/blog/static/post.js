// The post page's live parts: comments pushed as they are added and the chat room, both through
// @manouche/client (a WebSocket, else Server-Sent Events, else long polling, reconnecting by itself),
// and the comment form posted with fetch.
import { connect } from '/static/client/index.js';

const root = document.getElementById('post');
if (root) start(root);

function start(root) {
  const commentsUrl = root.getAttribute('data-comments-url');
  const chatUrl = root.getAttribute('data-chat-url');
  let lastId = Number(root.getAttribute('data-last-comment-id')) || 0;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';
  // The fallbacks POST what the page sends: the CSRF token goes with them, as with any fetch POST.
  const options = { headers: { 'X-CSRFToken': csrfToken } };

  const stateEl = document.getElementById('connection-state');
  const list = document.getElementById('comments');
  const empty = document.getElementById('no-comments');
  const seen = new Set();
  list.querySelectorAll('li[data-id]').forEach((li) => seen.add(Number(li.getAttribute('data-id'))));

  // "open (websocket)", "connecting (sse)"...: the state, and the transport it is (or was) on.
  function showState(state, transport) {
    stateEl.textContent = transport ? `${state} (${transport})` : state;
    stateEl.setAttribute('data-state', state);
    stateEl.setAttribute('data-transport', transport || '');
  }

  function formatTime(iso) {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso || '');
    return match ? `${match[1]} ${match[2]} UTC` : iso;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Shows a comment once, whichever way it came (pushed, sent again after a reconnection, or our own
  // POST's answer).
  function renderComment(comment) {
    if (!comment || typeof comment.id !== 'number' || seen.has(comment.id)) return;
    seen.add(comment.id);
    if (comment.id > lastId) lastId = comment.id;
    const li = el('li', 'comment');
    li.id = `comment-${comment.id}`;
    li.setAttribute('data-id', String(comment.id));
    const meta = el('p', 'meta');
    meta.appendChild(el('strong', 'author', comment.author));
    meta.appendChild(document.createTextNode(' · '));
    const time = el('time', '', formatTime(comment.created_at));
    time.setAttribute('datetime', comment.created_at);
    meta.appendChild(time);
    li.appendChild(meta);
    li.appendChild(el('p', 'text', comment.body));
    li.classList.add('new');
    list.appendChild(li);
    if (empty) empty.hidden = true;
  }

  // Live comments. The URL is a function: each reconnection asks for the comments after the last one
  // shown, so a restart of the server loses none (and renderComment shows none twice).
  const comments = connect(() => `${commentsUrl}?since=${lastId}`, options);
  showState('connecting', '');
  comments.onopen = () => showState('open', comments.transport);
  comments.onmessage = (event) => {
    try {
      renderComment(JSON.parse(event.data));
    } catch {
      // not a comment
    }
  };
  comments.onclose = (event) => showState(event.willReconnect ? 'connecting' : 'closed', comments.transport);

  // The comment form: posted with fetch and the X-CSRFToken header; a plain form POST without JS.
  const form = document.getElementById('comment-form');
  const bodyField = document.getElementById('comment-body');
  const errorEl = document.getElementById('comment-error');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new URLSearchParams(new FormData(form));
    errorEl.hidden = true;
    fetch(commentsUrl, {
      method: 'POST',
      headers: { 'X-CSRFToken': csrfToken, Accept: 'application/json' },
      body: data,
      credentials: 'same-origin',
    })
      .then((response) =>
        response.json().then((payload) => {
          if (response.status === 201) {
            renderComment(payload);
            bodyField.value = '';
          } else {
            const errors = (payload && payload.errors) || {};
            errorEl.textContent =
              errors.body || errors.author || `The comment was not accepted (${response.status}).`;
            errorEl.hidden = false;
          }
        }),
      )
      .catch(() => {
        errorEl.textContent = 'The comment could not be sent; try again.';
        errorEl.hidden = false;
      });
  });

  // The chat room: messages to everyone on this post, and who is online.
  const chatState = document.getElementById('chat-state');
  const presence = document.getElementById('chat-presence');
  const messages = document.getElementById('chat-messages');
  const chatForm = document.getElementById('chat-form');
  const chatInput = document.getElementById('chat-input');
  let me = '';

  const chat = connect(chatUrl, options);
  chat.onopen = () => {
    chatState.textContent = `open (${chat.transport})`;
  };
  chat.onmessage = (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (data.type === 'welcome') {
      me = data.you;
      chatState.textContent = `open (${chat.transport}), you are ${me}`;
    } else if (data.type === 'presence') {
      presence.textContent = '';
      data.users.forEach((name) => presence.appendChild(el('li', name === me ? 'me' : '', name)));
    } else if (data.type === 'message') {
      const li = el('li', 'chat-message');
      li.appendChild(el('strong', '', `${data.user}: `));
      li.appendChild(document.createTextNode(data.text));
      messages.appendChild(li);
      messages.scrollTop = messages.scrollHeight;
    }
  };
  chat.onclose = (event) => {
    chatState.textContent = event.willReconnect ? 'closed, reconnecting' : 'closed';
    presence.textContent = '';
  };

  chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = chatInput.value.trim();
    if (text === '' || chat.readyState !== 1) return;
    chat.send(JSON.stringify({ text }));
    chatInput.value = '';
  });
}
