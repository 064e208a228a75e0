package connect

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var nonceAttr = regexp.MustCompile(`nonce="([^"]+)"`)

func TestRenderCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		res        CallbackResult
		wantStatus int
		want       []string
		notWant    []string
	}{
		{
			name:       "success",
			res:        CallbackResult{ProviderConfigKey: "github", ConnectionID: "conn-1"},
			wantStatus: http.StatusOK,
			want:       []string{"<h1>Connected</h1>", `data-provider-config-key="github"`, `data-connection-id="conn-1"`, `data-error-type=""`},
			notWant:    []string{"Details:"},
		},
		{
			name:       "declined",
			res:        CallbackResult{ProviderConfigKey: "github", ErrorType: "access_denied", ErrorDescription: "The user denied"},
			wantStatus: http.StatusBadRequest,
			want:       []string{"Could not connect", "You declined access", "Details: The user denied", `data-error-type="access_denied"`},
		},
		{
			name:       "expired state",
			res:        CallbackResult{ErrorType: "invalid_state"},
			wantStatus: http.StatusBadRequest,
			want:       []string{"This sign-in link has expired"},
		},
		{
			name:       "placeholder opens the sentence",
			res:        CallbackResult{ErrorType: "temporarily_unavailable"},
			wantStatus: http.StatusBadRequest,
			want:       []string{"The provider is busy right now"},
		},
		{
			name:       "unknown code",
			res:        CallbackResult{ErrorType: "weird_thing", ErrorDescription: "boom"},
			wantStatus: http.StatusBadRequest,
			want:       []string{"Something went wrong while connecting", "Details: boom"},
		},
		{
			name: "hostile values are escaped",
			res: CallbackResult{
				ProviderConfigKey: `"><script>alert(1)</script>`,
				ConnectionID:      `'onmouseover='alert(2)`,
				ErrorType:         `<b>x</b>`,
				ErrorDescription:  `<img src=x onerror=alert(3)>`,
			},
			wantStatus: http.StatusBadRequest,
			want:       []string{"&lt;img src=x onerror=alert(3)&gt;", "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"},
			notWant:    []string{"<script>alert", "<img src=x", "<b>x</b>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			RenderCallback(rec, tt.res)
			body := rec.Body.String()
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
			checkCallbackHeaders(t, rec, body)
		})
	}
}

func checkCallbackHeaders(t *testing.T, rec *httptest.ResponseRecorder, body string) {
	t.Helper()
	h := rec.Header()
	if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP not strict: %q", csp)
	}
	// Every inline element carries the nonce of this response's header.
	nonces := nonceAttr.FindAllStringSubmatch(body, -1)
	if len(nonces) != 2 {
		t.Fatalf("found %d nonce attributes, want 2 (style and script)", len(nonces))
	}
	for _, n := range nonces {
		if !strings.Contains(csp, "script-src 'nonce-"+n[1]+"'") {
			t.Errorf("nonce %q not in CSP %q", n[1], csp)
		}
	}
	if strings.Count(body, "<script") != 1 {
		t.Errorf("want exactly one script element")
	}
}

func TestRenderCallbackNonceIsFresh(t *testing.T) {
	t.Parallel()
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	RenderCallback(a, CallbackResult{})
	RenderCallback(b, CallbackResult{})
	if a.Header().Get("Content-Security-Policy") == b.Header().Get("Content-Security-Policy") {
		t.Error("two responses share a nonce")
	}
}

func TestCallbackResultMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  CallbackResult
		want Message
	}{
		{"success", CallbackResult{ProviderConfigKey: "k", ConnectionID: "c"},
			Message{MessageType: "success", ProviderConfigKey: "k", ConnectionID: "c"}},
		{"error", CallbackResult{ProviderConfigKey: "k", ConnectionID: "c", ErrorType: "token_error", ErrorDescription: "d"},
			Message{MessageType: "error", ProviderConfigKey: "k", ConnectionID: "c", ErrorType: "token_error", ErrorDesc: "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.res.Message(); got != tt.want {
				t.Errorf("Message() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
