// Patchbay Connect UI. The server renders every screen; this script moves
// between them, runs the auth flows and tells the embedding page what
// happened. No framework and no build step on purpose: it loads inside
// customers' pages and should be readable as shipped.
(function () {
  'use strict';

  var app = document.getElementById('pb-app');
  if (!app) return;
  var data = app.dataset;
  var messages = readMessages();
  var embedded = window.parent !== window;

  // How long a closed popup may stay silent before we call it closed by the
  // user: the callback page posts its result and then closes itself, and
  // the websocket message can arrive a moment after the window is gone.
  var CLOSE_GRACE_MS = 1500;
  var ACK_TIMEOUT_MS = 10000;

  document.addEventListener('click', function (e) {
    if (e.target.closest('[data-action="close"]')) {
      e.preventDefault();
      requestClose();
    }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') requestClose();
  });

  // A logo that does not load gives way to the integration's initial.
  document.addEventListener('error', function (e) {
    if (e.target.matches && e.target.matches('img.pb-logo[data-initial]')) monogram(e.target);
  }, true);
  forEach(document.querySelectorAll('img.pb-logo[data-initial]'), function (img) {
    if (img.complete && img.naturalWidth === 0) monogram(img);
  });

  function monogram(img) {
    var span = document.createElement('span');
    span.className = 'pb-logo pb-monogram';
    span.setAttribute('aria-hidden', 'true');
    span.textContent = img.dataset.initial;
    img.replaceWith(span);
  }

  if (data.mode === 'shell') shell();
  else if (data.mode === 'connect') connect();
  else if (data.mode === 'session_error') sessionError();

  // Events go to whoever embeds or opened this page: a customer's page on
  // an origin we do not know, so "*" is the only target that reaches it
  // (Nango's Connect UI does the same). They carry no secret, only what the
  // customer's backend learns anyway.
  function emit(evt) {
    if (embedded) window.parent.postMessage(evt, '*');
    if (window.opener && window.opener !== window) {
      try { window.opener.postMessage(evt, '*'); } catch (e) { /* opener navigated away */ }
    }
  }

  function requestClose() {
    emit({ type: 'close' });
    if (!embedded && window.opener) window.close();
  }

  function readMessages() {
    try {
      return JSON.parse(document.getElementById('pb-messages').textContent);
    } catch (e) {
      return {};
    }
  }

  // say mirrors userMessage on the server.
  function say(code, provider) {
    var m = messages[code] || messages.unknown_error || 'Something went wrong. Try again.';
    m = m.split('{provider}').join(provider || 'the provider').split('{app}').join(data.appName || 'the app');
    return m.charAt(0).toUpperCase() + m.slice(1);
  }

  function role(el, name) {
    return el.querySelector('[data-role="' + name + '"]');
  }

  // --- openConnectUI handshake: wait for the token from the parent. ---

  function shell() {
    var started = false;
    window.addEventListener('message', function (e) {
      var d = e.data;
      if (started || !d || d.type !== 'session_token' || typeof d.sessionToken !== 'string' || !d.sessionToken) return;
      // The token comes from whoever embeds or opened us; their origin is
      // the customer's and unknown here, so the source is what we check.
      if (e.source !== window.parent && e.source !== window.opener) return;
      started = true;
      window.location.replace('/connect?session_token=' + encodeURIComponent(d.sessionToken));
    });
    // The server guessed from the request whether we are embedded; the
    // window knows.
    var waiting = embedded || !!window.opener;
    document.getElementById('pb-wait').hidden = !waiting;
    document.getElementById('pb-landing').hidden = waiting;
    // Nothing to close on the landing page.
    app.querySelector('.pb-header [data-action="close"]').hidden = !waiting;
    if (waiting) emit({ type: 'ready' });
  }

  function sessionError() {
    var s = app.querySelector('[data-error-type]');
    emit({ type: 'error', payload: { errorType: s.dataset.errorType, errorMessage: role(s, 'error-text').textContent } });
  }

  // --- The Connect UI proper. ---

  function connect() {
    var apiURL = data.apiUrl;
    var apiOrigin = new URL(apiURL).origin;
    var list = document.getElementById('pb-list');
    var success = document.getElementById('pb-success');
    var current = null; // the attempt in flight; a newer one makes older results void
    var lastPick = null;

    window.addEventListener('message', onPopupMessage);

    list.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-flow]');
      if (!b) return;
      lastPick = b;
      var flow = document.getElementById(b.dataset.flow);
      show(flow, true);
      // Straight on while this click still counts as a user gesture, so the
      // popup is not blocked.
      if (flow.dataset.kind === 'popup' && !flow.dataset.hasFields) startPopup(flow, {});
    });

    forEach(document.querySelectorAll('.pb-flow'), function (flow) {
      flow.querySelector('[data-action="back"]').addEventListener('click', function () {
        cancel();
        show(list, false);
        if (lastPick) lastPick.focus();
      });
      var form = flow.querySelector('form');
      if (!form) return;
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (current && current.flow === flow && !current.settled && !current.closedReported) return;
        if (!validate(form)) return;
        var values = collect(form);
        if (flow.dataset.kind === 'popup') startPopup(flow, values.params);
        else submitForm(flow, values);
      });
      form.addEventListener('input', function (e) {
        var f = e.target.closest('[data-field]');
        if (f) setFieldError(f, '');
      });
    });

    if (data.reconnectFlow) {
      var flow = document.getElementById(data.reconnectFlow);
      if (flow) {
        flow.querySelector('[data-action="back"]').hidden = true;
        show(flow, false);
      }
    }

    emit({ type: 'ready' });

    function show(screen, focus) {
      forEach(document.querySelectorAll('.pb-screen'), function (s) { s.hidden = s !== screen; });
      var h = screen.querySelector('.pb-heading');
      if (focus && h) h.focus();
    }

    function query(flow, params, extra) {
      var q = new URLSearchParams();
      q.set('connect_session_token', data.sessionToken);
      if (flow.id === data.reconnectFlow && data.connectionId) q.set('connection_id', data.connectionId);
      Object.keys(params).forEach(function (k) { q.set('params[' + k + ']', params[k]); });
      Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
      return q.toString();
    }

    // --- Popup flows (OAuth and friends). ---

    function startPopup(flow, params) {
      cancel();
      clearMessages(flow);
      // Opened now, within the click; its address follows once the
      // websocket has given us our client id.
      var popup = window.open('', 'patchbay-connect', popupFeatures());
      var a = current = { flow: flow, popup: popup, ws: null, settled: false, closedReported: false };
      if (!popup) {
        settle(a, { errorType: 'blocked_by_browser' });
        return;
      }
      setBusy(flow, true);
      role(flow, 'status').textContent = 'Finish signing in to ' + flow.dataset.name + ' in the window that opened.';

      var ws;
      try {
        ws = new WebSocket(apiURL.replace(/^http/, 'ws') + '/');
      } catch (e) {
        settle(a, { errorType: 'network_error' });
        return;
      }
      a.ws = ws;
      var acked = false;
      a.ackTimer = setTimeout(function () {
        if (!acked) settle(a, { errorType: 'network_error' });
      }, ACK_TIMEOUT_MS);
      ws.onmessage = function (ev) {
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        if (m.message_type === 'connection_ack' && !acked) {
          acked = true;
          clearTimeout(a.ackTimer);
          if (popup.closed) {
            settle(a, { errorType: 'windowClosed' });
            return;
          }
          popup.location.href = apiURL + '/oauth/connect/' + encodeURIComponent(flow.dataset.key) + '?' +
            query(flow, params, { ws_client_id: m.ws_client_id });
          watchPopup(a);
        } else if (m.message_type === 'success') {
          settle(a, { providerConfigKey: m.provider_config_key, connectionId: m.connection_id });
        } else if (m.message_type === 'error') {
          settle(a, { errorType: m.error_type || 'unknown_error' });
        }
      };
      ws.onclose = function () {
        if (!acked) settle(a, { errorType: 'network_error' });
      };
    }

    // The callback page posts the result too; it can beat the websocket,
    // and it is the only channel when the socket went to another node.
    function onPopupMessage(e) {
      var a = current, d = e.data;
      if (!a || !a.popup || e.source !== a.popup || e.origin !== apiOrigin || !d || d.type !== 'patchbay:auth') return;
      settle(a, d.errorType ? { errorType: d.errorType } : { providerConfigKey: d.providerConfigKey, connectionId: d.connectionId });
    }

    function watchPopup(a) {
      var closedAt = 0;
      a.timer = setInterval(function () {
        if (a.settled || !a.popup.closed) return;
        if (!closedAt) {
          closedAt = Date.now();
        } else if (Date.now() - closedAt >= CLOSE_GRACE_MS) {
          clearInterval(a.timer);
          reportClosed(a);
        }
      }, 250);
    }

    // Not a settle: a provider page with a strict Cross-Origin-Opener-Policy
    // makes the popup look closed while the user is still signing in. The
    // socket stays open, so a success that comes later still counts.
    function reportClosed(a) {
      a.closedReported = true;
      setBusy(a.flow, false);
      fail(a.flow, 'windowClosed', say('windowClosed'));
    }

    function popupFeatures() {
      var w = 520, h = 680;
      var left = window.screenX + Math.max(0, (window.outerWidth - w) / 2);
      var top = window.screenY + Math.max(0, (window.outerHeight - h) / 2);
      return 'popup=yes,width=' + w + ',height=' + h + ',left=' + Math.round(left) + ',top=' + Math.round(top);
    }

    // --- Form flows (API key, basic, JWT, client credentials). ---

    function submitForm(flow, values) {
      cancel();
      clearMessages(flow);
      var a = current = { flow: flow, settled: false };
      setBusy(flow, true);
      var url = apiURL + flow.dataset.endpoint + encodeURIComponent(flow.dataset.key) + '?' + query(flow, values.params);
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify(values.credentials),
        credentials: 'omit',
        cache: 'no-store'
      }).then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { /* not JSON: a proxy's error page */ }
          return { ok: res.ok, status: res.status, body: body };
        });
      }, function () {
        return null;
      }).then(function (r) {
        if (!r) settle(a, { errorType: 'network_error' });
        else if (r.ok && r.body && r.body.connectionId) settle(a, r.body);
        else settle(a, apiError(flow, r));
      });
    }

    // apiError turns the server's error shape into words, and puts the
    // field errors next to their fields.
    function apiError(flow, r) {
      var err = (r.body && r.body.error) || {};
      var code = err.code || 'unknown_error';
      var placed = placeFieldErrors(flow, err.errors);
      var msg;
      if (messages[code]) msg = say(code, flow.dataset.name);
      else if (placed) msg = 'Check the highlighted fields and try again.';
      else if (err.message) msg = err.message;
      else msg = say('unknown_error');
      return { errorType: code, message: msg };
    }

    function placeFieldErrors(flow, errs) {
      var first = null;
      (Array.isArray(errs) ? errs : []).forEach(function (e) {
        var p = Array.isArray(e.path) ? e.path : [];
        var name = String(p[p.length - 1] || '');
        var config = p.length > 1 && (p[0] === 'params' || p[0] === 'connection_config');
        forEach(flow.querySelectorAll('[data-field]'), function (f) {
          if (f.dataset.name !== name || (config && f.dataset.kind !== 'config')) return;
          setFieldError(f, e.message || 'This value was not accepted.');
          if (!first) first = f.querySelector('input');
        });
      });
      if (first) first.focus();
      return first !== null;
    }

    // --- Outcome of any attempt. ---

    function settle(a, r) {
      if (a.settled || a !== current) return;
      a.settled = true;
      cleanup(a);
      setBusy(a.flow, false);
      if (r.errorType) fail(a.flow, r.errorType, r.message || say(r.errorType, a.flow.dataset.name));
      else succeed(a.flow, r);
    }

    function cleanup(a) {
      clearInterval(a.timer);
      clearTimeout(a.ackTimer);
      if (a.ws) {
        a.ws.onmessage = a.ws.onclose = null;
        try { a.ws.close(); } catch (e) { /* already closed */ }
      }
      if (a.popup && !a.popup.closed) {
        try { a.popup.close(); } catch (e) { /* not ours any more */ }
      }
    }

    function cancel() {
      if (current && !current.settled) {
        current.settled = true;
        cleanup(current);
        setBusy(current.flow, false);
      }
      current = null;
    }

    function fail(flow, code, msg) {
      idle(flow);
      role(flow, 'alert').textContent = msg;
      emit({ type: 'error', payload: { errorType: code, errorMessage: msg } });
    }

    function succeed(flow, r) {
      emit({ type: 'connect', payload: { providerConfigKey: r.providerConfigKey, connectionId: r.connectionId } });
      idle(flow);
      role(success, 'success-text').textContent = 'You connected ' + flow.dataset.name + '.';
      if (!embedded && !window.opener) {
        success.querySelector('[data-action="close"]').hidden = true;
        role(success, 'standalone-hint').hidden = false;
      }
      show(success, true);
    }

    // idle puts back what the status line says when nothing is under way.
    function idle(flow) {
      var status = role(flow, 'status');
      if (status) status.textContent = flow.dataset.idle || '';
    }

    function setBusy(flow, on) {
      var btn = role(flow, 'submit');
      if (!btn) return;
      // aria-disabled, not disabled: a disabled button drops keyboard focus.
      if (on) {
        btn.dataset.label = btn.dataset.label || btn.textContent;
        btn.textContent = 'Connecting\u2026';
        btn.setAttribute('aria-disabled', 'true');
      } else {
        if (btn.dataset.label) btn.textContent = btn.dataset.label;
        btn.removeAttribute('aria-disabled');
      }
      btn.form.setAttribute('aria-busy', on ? 'true' : 'false');
    }

    function clearMessages(flow) {
      var alert = role(flow, 'alert');
      if (alert) alert.textContent = '';
      idle(flow);
      forEach(flow.querySelectorAll('[data-field]'), function (f) { setFieldError(f, ''); });
    }
  }

  // --- Fields. ---

  function validate(form) {
    var first = null;
    forEach(form.querySelectorAll('[data-field]'), function (f) {
      var msg = checkField(f, f.querySelector('input'));
      setFieldError(f, msg);
      if (msg && !first) first = f.querySelector('input');
    });
    role(form, 'alert').textContent = first ? 'Check the highlighted fields.' : '';
    if (first) first.focus();
    return !first;
  }

  function checkField(f, input) {
    var v = input.value.trim();
    var label = f.dataset.label;
    if (v === '') return input.required ? label + ' is required.' : '';
    var example = input.placeholder ? ' For example: ' + input.placeholder : '';
    if (input.validity && input.validity.typeMismatch) return label + ' does not look right.' + example;
    var p = input.getAttribute('pattern');
    if (p) {
      var re = null;
      // Anchored as the pattern attribute is; a pattern this browser cannot
      // compile is not the user's fault, so it does not block them.
      try { re = new RegExp('^(?:' + p + ')$'); } catch (e) { re = null; }
      if (re && !re.test(v)) return label + ' does not look right.' + example;
    }
    return '';
  }

  function setFieldError(f, msg) {
    role(f, 'field-error').textContent = msg;
    var input = f.querySelector('input');
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function collect(form) {
    var out = { params: {}, credentials: {} };
    forEach(form.querySelectorAll('[data-field]'), function (f) {
      var v = f.querySelector('input').value.trim();
      if (v === '') return;
      (f.dataset.kind === 'config' ? out.params : out.credentials)[f.dataset.name] = v;
    });
    return out;
  }

  function forEach(nodes, fn) {
    Array.prototype.forEach.call(nodes, fn);
  }
})();
