package oauth1_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/auth/oauth1"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/trello"
)

// These tests run the client against the simulated Trello, whose signature
// checks are written independently of this package.

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type bundle struct {
	s      *sim.Server
	client *oauth1.Client
}

func setup(t *testing.T, method string) *bundle {
	t.Helper()
	s := sim.ServeTest(t, sim.Options{}, trello.New(trello.Options{}))
	c := &oauth1.Client{ConsumerKey: "trello-client-id", ConsumerSecret: "trello-client-secret", SignatureMethod: method, HTTPClient: http.DefaultClient}
	return &bundle{s: s, client: c}
}

func (b *bundle) url(path string) string { return b.s.BaseURL() + "/trello/1/" + path }

// connect runs the three legs as Patchbay's connect flow will, and returns
// the token credentials.
func (b *bundle) connect(t *testing.T, scope string) (token, secret string) {
	t.Helper()
	ctx := context.Background()
	rt, rs, raw, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "https://app.test/oauth/callback?session=s1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Get("oauth_callback_confirmed") != "true" {
		t.Fatalf("raw = %v", raw)
	}
	authURL, err := b.client.AuthorizeURL(b.url("OAuthAuthorizeToken"), rt,
		map[string]string{"name": "Patchbay Test", "scope": scope, "expiration": "never"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	q := cb.Query()
	if q.Get("session") != "s1" || q.Get("oauth_token") != rt || q.Get("oauth_verifier") == "" {
		t.Fatalf("callback %s", cb)
	}
	token, secret, _, err = b.client.AccessToken(ctx, b.url("OAuthGetAccessToken"), rt, rs, q.Get("oauth_verifier"))
	if err != nil {
		t.Fatal(err)
	}
	if token == "" || secret == "" {
		t.Fatalf("token credentials %q %q", token, secret)
	}
	return token, secret
}

// call signs and sends an API request.
func (b *bundle) call(t *testing.T, method, path string, form url.Values, token, secret string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.BaseURL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err := b.client.Sign(req, token, secret, nil); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

func TestTrelloThreeLegged(t *testing.T) {
	t.Parallel()
	for _, method := range []string{oauth1.HMACSHA1, oauth1.PLAINTEXT} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			b := setup(t, method)
			token, secret := b.connect(t, "read,write")

			status, body := b.call(t, http.MethodGet, "/trello/1/members/me", nil, token, secret)
			var me struct{ Username string }
			if err := json.Unmarshal([]byte(body), &me); status != 200 || err != nil || me.Username != "simmember" {
				t.Fatalf("members/me: %d %s", status, body)
			}

			// Parameters that catch encoding mistakes: commas, spaces, '+',
			// '*', '~', '&' and '=' inside values, non-ASCII, a repeated
			// name, in the query and in a form body.
			form := url.Values{"name": {"Budget + Plan: 50% done & more=yes ~*!"}, "desc": {"naïve café ☃", "second"}}
			status, body = b.call(t, http.MethodPost, "/trello/1/boards?desc=q%20first&extra=a+b&x=%2A", form, token, secret)
			var board struct{ Name string }
			if err := json.Unmarshal([]byte(body), &board); status != 200 || err != nil || board.Name != form.Get("name") {
				t.Fatalf("create board: %d %s", status, body)
			}
			status, body = b.call(t, http.MethodGet, "/trello/1/members/me/boards?filter=open&fields=name,url,closed", nil, token, secret)
			if status != 200 || !strings.Contains(body, "50% done") {
				t.Fatalf("boards: %d %s", status, body)
			}

			// Every call was verified, none let through unsigned.
			if n := len(b.s.Requests(sim.RequestFilter{Provider: "trello", Note: "auth=oauth"})); n != 3 {
				t.Errorf("verified API calls = %d, want 3", n)
			}
			if n := len(b.s.Requests(sim.RequestFilter{Provider: "trello", Note: "grant=access_token"})); n != 1 {
				t.Errorf("access token requests = %d, want 1", n)
			}
		})
	}
}

func TestTrelloRequestTokenParamsAreSigned(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	// Trello ignores extra parameters, but the signature covers them, so a
	// client that signs the body wrong is caught.
	if _, _, _, err := b.client.RequestToken(context.Background(), b.url("OAuthGetRequestToken"), "oob",
		map[string]string{"x_extra": "a b+c&d=e", "naïve": "☃"}); err != nil {
		t.Fatal(err)
	}
}

func TestTrelloRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("wrong consumer secret", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		b.client.ConsumerSecret = "not-the-secret"
		_, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 401 || e.Body != "invalid signature" || !e.Rejected() || e.Temporary() {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		b.client.ConsumerKey = "unknown"
		_, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 401 || e.Body != "invalid key" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("verifier reused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		rt, rs, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "https://app.test/cb", nil)
		if err != nil {
			t.Fatal(err)
		}
		authURL, _ := b.client.AuthorizeURL(b.url("OAuthAuthorizeToken"), rt, nil)
		res, err := noRedirect.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		v := loc.Query().Get("oauth_verifier")
		if _, _, _, err := b.client.AccessToken(ctx, b.url("OAuthGetAccessToken"), rt, rs, v); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = b.client.AccessToken(ctx, b.url("OAuthGetAccessToken"), rt, rs, v)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 401 || e.Body != "invalid token" || e.Op != "access token" {
			t.Fatalf("second exchange: %v", err)
		}
	})
	t.Run("provider outage", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		b.s.Faults().Add(sim.Fault{Kind: sim.FaultError, Status: 503, Provider: "trello", Path: "/trello/1/OAuthGetRequestToken"})
		_, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 503 || !e.Temporary() || e.Rejected() {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("clock skew", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		b.s.Clock.Advance(6 * time.Minute)
		_, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 401 || e.Body != "invalid timestamp" {
			t.Fatalf("err = %v", err)
		}
		b.client.Now = b.s.Clock.Now
		if _, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil); err != nil {
			t.Fatalf("with the simulated clock: %v", err)
		}
	})
	t.Run("nonce replay", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		now := time.Now()
		b.client.Now = func() time.Time { return now }
		b.client.Nonce = func() string { return "fixed-nonce" }
		if _, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := b.client.RequestToken(ctx, b.url("OAuthGetRequestToken"), "oob", nil)
		var e *oauth1.Error
		if !errors.As(err, &e) || e.StatusCode != 401 || e.Body != "invalid nonce" {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		token, secret := b.connect(t, "read")
		req, _ := http.NewRequest(http.MethodDelete, b.s.BaseURL()+"/_control/trello/tokens/"+token, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if status, body := b.call(t, http.MethodGet, "/trello/1/members/me", nil, token, secret); status != 401 || body != "invalid token" {
			t.Errorf("revoked: %d %q", status, body)
		}
	})
	t.Run("wrong token secret", func(t *testing.T) {
		t.Parallel()
		b := setup(t, "")
		token, _ := b.connect(t, "read")
		if status, body := b.call(t, http.MethodGet, "/trello/1/members/me", nil, token, "guess"); status != 401 || body != "invalid signature" {
			t.Errorf("wrong secret: %d %q", status, body)
		}
	})
}
