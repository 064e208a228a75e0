package connect

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CallbackResult is the outcome of an OAuth flow, shown by the callback page
// in the popup. It is a success when ErrorType is empty.
type CallbackResult struct {
	ProviderConfigKey string
	ConnectionID      string
	// ErrorType is a short code (access_denied, invalid_state, token_error,
	// …); the page turns it into words for the end user.
	ErrorType string
	// ErrorDescription is the technical detail, shown in small print.
	ErrorDescription string
}

// Message is the websocket message that reports the same outcome, for
// Hub.Notify.
func (r CallbackResult) Message() Message {
	if r.ErrorType == "" {
		return Message{MessageType: MessageSuccess, ProviderConfigKey: r.ProviderConfigKey, ConnectionID: r.ConnectionID}
	}
	return Message{
		MessageType:       MessageError,
		ErrorType:         r.ErrorType,
		ErrorDesc:         r.ErrorDescription,
		ProviderConfigKey: r.ProviderConfigKey,
		ConnectionID:      r.ConnectionID,
	}
}

// userMessages turn error codes into sentences an end user can act on. The
// Connect UI receives the same table, so a result reads the same whether it
// arrives over the websocket or from this page. "{provider}" and "{app}"
// are filled in by the reader.
var userMessages = map[string]string{
	"access_denied":                 "You declined access, so nothing was connected. You can try again whenever you like.",
	"consent_required":              "You declined access, so nothing was connected. You can try again whenever you like.",
	"user_cancelled":                "You cancelled the sign-in, so nothing was connected.",
	"invalid_state":                 "This sign-in link has expired or was already used. Start again from {app}.",
	"expired":                       "This sign-in link has expired. Start again from {app}.",
	"expired_state":                 "This sign-in link has expired. Start again from {app}.",
	"expired_connect_session_token": "This link has expired. Go back to {app} and try again.",
	"invalid_connect_session_token": "This link is not valid any more. Go back to {app} and try again.",
	"missing_connect_session_token": "This link is not valid any more. Go back to {app} and try again.",
	"login_required":                "You need to be signed in to {provider} to connect. Try again.",
	"interaction_required":          "{provider} needs you to finish signing in. Try again.",
	"invalid_scope":                 "{app} asked for permissions {provider} does not offer. Contact {app}'s support.",
	"unauthorized_client":           "This connection is not set up correctly on {app}'s side. Contact {app}'s support.",
	"invalid_client":                "This connection is not set up correctly on {app}'s side. Contact {app}'s support.",
	"invalid_grant":                 "{provider} did not complete the sign-in. Try again.",
	"token_error":                   "{provider} did not complete the sign-in. Try again.",
	"server_error":                  "Something went wrong while connecting. Try again in a few minutes.",
	"temporarily_unavailable":       "{provider} is busy right now. Try again in a few minutes.",
	"connection_test_failed":        "{provider} did not accept these credentials. Check them and try again.",
	"integration_not_allowed":       "This integration is not available from this link.",
	"missing_connection_config":     "Some required settings are missing. Fill them in and try again.",
	"windowClosed":                  "You closed the window before finishing.",
	"blocked_by_browser":            "Your browser blocked the sign-in window. Allow pop-ups for this page and try again.",
	"network_error":                 "Could not reach the server. Check your connection and try again.",
	"unknown_error":                 "Something went wrong while connecting. Try again.",
}

// userMessage returns the sentence for code with the placeholders filled
// (a placeholder may open the sentence, hence the capital), falling back to
// a generic sentence for codes we have no words for.
func userMessage(code, provider, app string) string {
	m, ok := userMessages[code]
	if !ok {
		m = userMessages["unknown_error"]
	}
	m = strings.NewReplacer("{provider}", provider, "{app}", app).Replace(m)
	r, size := utf8.DecodeRuneInString(m)
	return string(unicode.ToUpper(r)) + m[size:]
}

// The script runs with the response's nonce. It posts to an opener on our
// own origin only: the listener is the Connect UI, served by this same
// server, and any other opener (a customer page using @nangohq/frontend's
// auth()) gets the result from the websocket. The payload holds no secret
// either way.
var callbackTemplate = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style nonce="{{.Nonce}}">
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:Canvas;color:CanvasText}
main{max-width:26rem;padding:2rem;text-align:center}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{line-height:1.5;margin:.5rem 0}
.detail{font-size:.8rem;opacity:.7;word-break:break-word}
</style>
</head>
<body>
<main id="result" role="status"
 data-provider-config-key="{{.Result.ProviderConfigKey}}"
 data-connection-id="{{.Result.ConnectionID}}"
 data-error-type="{{.Result.ErrorType}}"
 data-error-description="{{.Result.ErrorDescription}}"
 data-message="{{.Message}}">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Result.ErrorDescription}}<p class="detail">Details: {{.Result.ErrorDescription}}</p>{{end}}
<p>You can close this window.</p>
</main>
<script nonce="{{.Nonce}}">
(function () {
  var d = document.getElementById('result').dataset;
  if (!window.opener) return;
  // Only to an opener on our origin: a browser reports a postMessage
  // whose target origin is not the recipient's in the recipient's console,
  // and reading a foreign opener's origin throws instead.
  var sameOrigin = false;
  try { sameOrigin = window.opener.origin === window.location.origin; } catch (e) {}
  if (sameOrigin) {
    window.opener.postMessage({
      type: 'patchbay:auth',
      providerConfigKey: d.providerConfigKey,
      connectionId: d.connectionId,
      errorType: d.errorType,
      errorDescription: d.errorDescription,
      message: d.message
    }, window.location.origin);
  }
  window.close();
})();
</script>
</body>
</html>
`))

type callbackView struct {
	Nonce   string
	Title   string
	Message string
	Result  CallbackResult
}

// RenderCallback writes the page the OAuth popup lands on: it hands the
// result to the Connect UI that opened it, closes itself, and otherwise
// tells the user what happened. It answers 200 on success and 400 on error.
func RenderCallback(w http.ResponseWriter, res CallbackResult) {
	v := callbackView{Nonce: newNonce(), Result: res}
	status := http.StatusOK
	if res.ErrorType == "" {
		v.Title = "Connected"
		v.Message = "You are connected. This window closes by itself."
	} else {
		status = http.StatusBadRequest
		v.Title = "Could not connect"
		v.Message = userMessage(res.ErrorType, "the provider", "the app")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+v.Nonce+"'; style-src 'nonce-"+v.Nonce+"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = callbackTemplate.Execute(w, v)
}

// newNonce returns a fresh CSP nonce, in hex so that no escaper touches
// it on its way into an attribute.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
