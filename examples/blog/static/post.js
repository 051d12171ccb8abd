// The post page's live parts: comments pushed over a WebSocket (polling `?since=` every 500 ms when
// the WebSocket can't open or has closed), the comment form posted with fetch, and the chat room.
(function () {
  'use strict';

  var root = document.getElementById('post');
  if (!root) return;

  var POLL_INTERVAL = 500;
  var STATES = ['connecting', 'open', 'closing', 'closed'];
  var commentsUrl = root.getAttribute('data-comments-url');
  var chatUrl = root.getAttribute('data-chat-url');
  var lastId = Number(root.getAttribute('data-last-comment-id')) || 0;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';

  var stateEl = document.getElementById('connection-state');
  var list = document.getElementById('comments');
  var empty = document.getElementById('no-comments');
  var seen = new Set();
  Array.prototype.forEach.call(list.querySelectorAll('li[data-id]'), function (li) {
    seen.add(Number(li.getAttribute('data-id')));
  });

  function socketUrl(path) {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  }

  function showState(readyState, transport) {
    var name = STATES[readyState] || 'closed';
    stateEl.textContent = transport === 'polling' ? name + ' (polling every 500 ms)' : name;
    stateEl.setAttribute('data-state', name);
    stateEl.setAttribute('data-transport', transport);
  }

  function formatTime(iso) {
    var match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso || '');
    return match ? match[1] + ' ' + match[2] + ' UTC' : iso;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Shows a comment once, whichever way it came (push, poll, or our own POST's answer).
  function renderComment(comment) {
    if (!comment || typeof comment.id !== 'number' || seen.has(comment.id)) return;
    seen.add(comment.id);
    if (comment.id > lastId) lastId = comment.id;
    var li = el('li', 'comment');
    li.id = 'comment-' + comment.id;
    li.setAttribute('data-id', String(comment.id));
    var meta = el('p', 'meta');
    meta.appendChild(el('strong', 'author', comment.author));
    meta.appendChild(document.createTextNode(' · '));
    var time = el('time', '', formatTime(comment.created_at));
    time.setAttribute('datetime', comment.created_at);
    meta.appendChild(time);
    li.appendChild(meta);
    li.appendChild(el('p', 'text', comment.body));
    li.classList.add('new');
    list.appendChild(li);
    if (empty) empty.hidden = true;
  }

  // Polling: the fallback while no WebSocket is open.
  var pollTimer = null;
  var pollInFlight = false;

  function poll() {
    if (pollInFlight) return;
    pollInFlight = true;
    fetch(commentsUrl + '?since=' + lastId, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (comments) {
        comments.forEach(renderComment);
      })
      .catch(function () {})
      .then(function () {
        pollInFlight = false;
      });
  }

  function startPolling() {
    if (pollTimer !== null) return;
    poll();
    pollTimer = setInterval(poll, POLL_INTERVAL);
  }

  function stopPolling() {
    if (pollTimer === null) return;
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // The WebSocket, reopened with a growing delay (1 s, 2 s, 4 s... 15 s at most) after it closes.
  var retryDelay = 1000;

  function connectComments() {
    var ws;
    try {
      ws = new WebSocket(socketUrl(commentsUrl + '?since=' + lastId));
    } catch (error) {
      showState(3, 'polling');
      startPolling();
      setTimeout(connectComments, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      return;
    }
    showState(ws.readyState, pollTimer === null ? 'websocket' : 'polling');
    ws.onopen = function () {
      retryDelay = 1000;
      stopPolling();
      showState(ws.readyState, 'websocket');
    };
    ws.onmessage = function (event) {
      try {
        renderComment(JSON.parse(event.data));
      } catch (error) {
        // not a comment
      }
    };
    ws.onclose = function () {
      showState(3, 'polling');
      startPolling();
      setTimeout(connectComments, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    };
  }

  // The comment form: posted with fetch and the X-CSRFToken header; a plain form POST without JS.
  var form = document.getElementById('comment-form');
  var bodyField = document.getElementById('comment-body');
  var errorEl = document.getElementById('comment-error');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    errorEl.hidden = true;
    fetch(commentsUrl, {
      method: 'POST',
      headers: { 'X-CSRFToken': csrfToken, Accept: 'application/json' },
      body: data,
      credentials: 'same-origin',
    })
      .then(function (response) {
        return response.json().then(function (payload) {
          if (response.status === 201) {
            renderComment(payload);
            bodyField.value = '';
          } else {
            var errors = (payload && payload.errors) || {};
            errorEl.textContent =
              errors.body || errors.author || 'The comment was not accepted (' + response.status + ').';
            errorEl.hidden = false;
          }
        });
      })
      .catch(function () {
        errorEl.textContent = 'The comment could not be sent; try again.';
        errorEl.hidden = false;
      });
  });

  // The chat room: messages to everyone on this post, and who is online.
  var chatState = document.getElementById('chat-state');
  var presence = document.getElementById('chat-presence');
  var messages = document.getElementById('chat-messages');
  var chatForm = document.getElementById('chat-form');
  var chatInput = document.getElementById('chat-input');
  var chatSocket = null;
  var chatRetry = 1000;
  var me = '';

  function connectChat() {
    try {
      chatSocket = new WebSocket(socketUrl(chatUrl));
    } catch (error) {
      chatState.textContent = 'unavailable';
      return;
    }
    var ws = chatSocket;
    chatState.textContent = 'connecting';
    ws.onopen = function () {
      chatRetry = 1000;
      chatState.textContent = 'open';
    };
    ws.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data.type === 'welcome') {
        me = data.you;
        chatState.textContent = 'open, you are ' + me;
      } else if (data.type === 'presence') {
        presence.textContent = '';
        data.users.forEach(function (name) {
          presence.appendChild(el('li', name === me ? 'me' : '', name));
        });
      } else if (data.type === 'message') {
        var li = el('li', 'chat-message');
        li.appendChild(el('strong', '', data.user + ': '));
        li.appendChild(document.createTextNode(data.text));
        messages.appendChild(li);
        messages.scrollTop = messages.scrollHeight;
      }
    };
    ws.onclose = function () {
      chatState.textContent = 'closed, retrying';
      presence.textContent = '';
      setTimeout(connectChat, chatRetry);
      chatRetry = Math.min(chatRetry * 2, 15000);
    };
  }

  chatForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = chatInput.value.trim();
    if (text === '' || !chatSocket || chatSocket.readyState !== 1) return;
    chatSocket.send(JSON.stringify({ text: text }));
    chatInput.value = '';
  });

  connectComments();
  connectChat();
})();
