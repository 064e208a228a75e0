package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "sk-test-0123456789abcdef"

// recorded is what the fake server saw of one request.
type recorded struct {
	method  string
	path    string // escaped, as sent on the wire
	query   string // raw query
	header  http.Header
	body    []byte
	hasBody bool
}

// bundle is a fake Patchbay server answering every request with one canned
// response, plus a Client pointed at it.
type bundle struct {
	client *Client
	srv    *httptest.Server

	mu   sync.Mutex
	reqs []recorded
}

func (b *bundle) requests() []recorded {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]recorded(nil), b.reqs...)
}

// only returns the single request the server received, failing otherwise.
func (b *bundle) only(t *testing.T) recorded {
	t.Helper()
	reqs := b.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func setup(t *testing.T, status int, body string) *bundle {
	t.Helper()
	b := &bundle{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		b.mu.Lock()
		b.reqs = append(b.reqs, recorded{
			method:  r.Method,
			path:    r.URL.EscapedPath(),
			query:   r.URL.RawQuery,
			header:  r.Header.Clone(),
			body:    data,
			hasBody: len(data) > 0,
		})
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(b.srv.Close)
	b.client = New(b.srv.URL, testKey, WithHTTPClient(b.srv.Client()))
	return b
}

func ptr[T any](v T) *T { return &v }

// jsonEqual compares two JSON documents semantically.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request body = %s\nwant %s", got, want)
	}
}

const githubIntegrationJSON = `{"unique_key":"github","display_name":"GitHub","provider":"github",
	"logo":"http://host/images/template-logos/github.svg",
	"created_at":"2026-11-25T10:00:00.123Z","updated_at":"2026-11-26T11:30:00Z"}`

var githubIntegration = Integration{
	UniqueKey:   "github",
	DisplayName: "GitHub",
	Provider:    "github",
	Logo:        "http://host/images/template-logos/github.svg",
	CreatedAt:   time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC),
	UpdatedAt:   time.Date(2026, 11, 26, 11, 30, 0, 0, time.UTC),
}

// TestRequests checks what each method puts on the wire and that it
// decodes the matching success response.
func TestRequests(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		call      func(context.Context, *Client) (any, error)
		respBody  string
		wantReq   recorded // method, path, query; header checked separately
		wantBody  string   // JSON; empty means no body
		wantAuth  bool
		wantValue any
	}{
		{
			name:     "Health",
			call:     func(ctx context.Context, c *Client) (any, error) { return nil, c.Health(ctx) },
			respBody: `{"result":"ok"}`,
			wantReq:  recorded{method: "GET", path: "/health"},
		},
		{
			name: "ListProviders",
			call: func(ctx context.Context, c *Client) (any, error) {
				v, err := c.ListProviders(ctx, "")
				return namesOf(v), err
			},
			respBody:  `{"data":[{"name":"github"},{"name":"hubspot"}]}`,
			wantReq:   recorded{method: "GET", path: "/providers"},
			wantAuth:  true,
			wantValue: []string{"github", "hubspot"},
		},
		{
			name: "ListProviders empty list",
			call: func(ctx context.Context, c *Client) (any, error) {
				v, err := c.ListProviders(ctx, "")
				return len(v), err
			},
			respBody:  `{"data":[]}`,
			wantReq:   recorded{method: "GET", path: "/providers"},
			wantAuth:  true,
			wantValue: 0,
		},
		{
			name: "ListProviders search",
			call: func(ctx context.Context, c *Client) (any, error) {
				v, err := c.ListProviders(ctx, "hub spot&x=1")
				return namesOf(v), err
			},
			respBody:  `{"data":[{"name":"hubspot"}]}`,
			wantReq:   recorded{method: "GET", path: "/providers", query: "search=hub+spot%26x%3D1"},
			wantAuth:  true,
			wantValue: []string{"hubspot"},
		},
		{
			name: "GetProvider",
			call: func(ctx context.Context, c *Client) (any, error) {
				v, err := c.GetProvider(ctx, "hubspot")
				if v != nil {
					return v.DisplayName, err
				}
				return nil, err
			},
			respBody:  `{"data":{"name":"hubspot","display_name":"HubSpot"}}`,
			wantReq:   recorded{method: "GET", path: "/providers/hubspot"},
			wantAuth:  true,
			wantValue: "HubSpot",
		},
		{
			name: "GetProvider escapes name",
			call: func(ctx context.Context, c *Client) (any, error) {
				_, err := c.GetProvider(ctx, "a/b c?d#e")
				return nil, err
			},
			respBody: `{"data":{"name":"x"}}`,
			wantReq:  recorded{method: "GET", path: "/providers/a%2Fb%20c%3Fd%23e"},
			wantAuth: true,
		},
		{
			name: "ListIntegrations",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListIntegrations(ctx)
			},
			respBody:  `{"data":[` + githubIntegrationJSON + `]}`,
			wantReq:   recorded{method: "GET", path: "/integrations"},
			wantAuth:  true,
			wantValue: []Integration{githubIntegration},
		},
		{
			name: "GetIntegration",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetIntegration(ctx, "github")
			},
			respBody:  `{"data":` + githubIntegrationJSON + `}`,
			wantReq:   recorded{method: "GET", path: "/integrations/github"},
			wantAuth:  true,
			wantValue: &githubIntegration,
		},
		{
			name: "GetIntegration include and escaping",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetIntegration(ctx, "my key/v2", IncludeCredentials, IncludeWebhook)
			},
			respBody: `{"data":{"unique_key":"my key/v2","provider":"github",
				"created_at":"2026-11-25T10:00:00.123Z","updated_at":"2026-11-25T10:00:00.123Z",
				"webhook_url":"http://host/webhook/5a1e/my%20key%2Fv2",
				"credentials":{"type":"APP","app_id":"123","app_link":"https://github.com/apps/x",
					"private_key":"-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
					"webhook_secret":"whsec"}}}`,
			wantReq: recorded{
				method: "GET",
				path:   "/integrations/my%20key%2Fv2",
				query:  "include=credentials&include=webhook",
			},
			wantAuth: true,
			wantValue: &Integration{
				UniqueKey:  "my key/v2",
				Provider:   "github",
				CreatedAt:  time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC),
				UpdatedAt:  time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC),
				WebhookURL: "http://host/webhook/5a1e/my%20key%2Fv2",
				Credentials: &IntegrationCredentials{
					Type:          "APP",
					AppID:         "123",
					AppLink:       "https://github.com/apps/x",
					PrivateKey:    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
					WebhookSecret: "whsec",
				},
			},
		},
		{
			name: "GetIntegration null credentials",
			call: func(ctx context.Context, c *Client) (any, error) {
				in, err := c.GetIntegration(ctx, "key", IncludeCredentials)
				if in != nil {
					return in.Credentials, err
				}
				return nil, err
			},
			respBody:  `{"data":{"unique_key":"key","provider":"stripe","credentials":null}}`,
			wantReq:   recorded{method: "GET", path: "/integrations/key", query: "include=credentials"},
			wantAuth:  true,
			wantValue: (*IntegrationCredentials)(nil),
		},
		{
			name: "CreateIntegration",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateIntegration(ctx, CreateIntegrationRequest{
					UniqueKey: "github",
					Provider:  "github",
					Credentials: &IntegrationCredentials{
						Type:         "OAUTH2",
						ClientID:     "cid",
						ClientSecret: "csecret",
						Scopes:       "repo,read:user",
					},
				})
			},
			respBody: `{"data":` + githubIntegrationJSON + `}`,
			wantReq:  recorded{method: "POST", path: "/integrations"},
			wantBody: `{"unique_key":"github","provider":"github","credentials":
				{"type":"OAUTH2","client_id":"cid","client_secret":"csecret","scopes":"repo,read:user"}}`,
			wantAuth:  true,
			wantValue: &githubIntegration,
		},
		{
			name: "CreateIntegration display name, no credentials",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateIntegration(ctx, CreateIntegrationRequest{
					UniqueKey: "stripe", Provider: "stripe", DisplayName: "Payments",
				})
			},
			respBody:  `{"data":` + githubIntegrationJSON + `}`,
			wantReq:   recorded{method: "POST", path: "/integrations"},
			wantBody:  `{"unique_key":"stripe","provider":"stripe","display_name":"Payments"}`,
			wantAuth:  true,
			wantValue: &githubIntegration,
		},
		{
			name: "UpdateIntegration",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateIntegration(ctx, "old key", UpdateIntegrationRequest{
					UniqueKey:   ptr("github"),
					DisplayName: ptr(""),
				})
			},
			respBody:  `{"data":` + githubIntegrationJSON + `}`,
			wantReq:   recorded{method: "PATCH", path: "/integrations/old%20key"},
			wantBody:  `{"unique_key":"github","display_name":""}`,
			wantAuth:  true,
			wantValue: &githubIntegration,
		},
		{
			name: "UpdateIntegration credentials only",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateIntegration(ctx, "a/b", UpdateIntegrationRequest{
					Credentials: &IntegrationCredentials{Type: "OAUTH1", ClientID: "id", ClientSecret: "s"},
				})
			},
			respBody:  `{"data":` + githubIntegrationJSON + `}`,
			wantReq:   recorded{method: "PATCH", path: "/integrations/a%2Fb"},
			wantBody:  `{"credentials":{"type":"OAUTH1","client_id":"id","client_secret":"s"}}`,
			wantAuth:  true,
			wantValue: &githubIntegration,
		},
		{
			name: "DeleteIntegration",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteIntegration(ctx, "a b/c")
			},
			respBody: `{"success":true}`,
			wantReq:  recorded{method: "DELETE", path: "/integrations/a%20b%2Fc"},
			wantAuth: true,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, http.StatusOK, tt.respBody)

			got, err := tt.call(t.Context(), b.client)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantValue != nil && !reflect.DeepEqual(got, tt.wantValue) {
				t.Errorf("result = %#v\nwant %#v", got, tt.wantValue)
			}

			req := b.only(t)
			if req.method != tt.wantReq.method || req.path != tt.wantReq.path || req.query != tt.wantReq.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s",
					req.method, req.path, req.query, tt.wantReq.method, tt.wantReq.path, tt.wantReq.query)
			}

			wantAuth := ""
			if tt.wantAuth {
				wantAuth = "Bearer " + testKey
			}
			if got := req.header.Get("Authorization"); got != wantAuth {
				t.Errorf("Authorization = %q, want %q", got, wantAuth)
			}
			if got := req.header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want application/json", got)
			}

			if tt.wantBody == "" {
				if req.hasBody {
					t.Errorf("unexpected request body %s", req.body)
				}
				return
			}
			if got := req.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			jsonEqual(t, req.body, tt.wantBody)
		})
	}
}

func namesOf(ps []Provider) []string {
	if ps == nil {
		return nil
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

func TestProviderDecoding(t *testing.T) {
	t.Parallel()

	full := `{"name":"hubspot","display_name":"HubSpot","logo_url":"http://host/images/template-logos/hubspot.svg",
		"categories":["marketing","crm"],"auth_mode":"OAUTH2",
		"authorization_url":"https://app.hubspot.com/oauth/authorize","token_url":"https://api.hubapi.com/oauth/v1/token",
		"scope_separator":" ","default_scopes":["oauth"],
		"proxy":{"base_url":"https://api.hubapi.com","decompress":true},
		"docs":"https://docs.example/hubspot","unsupported":"",
		"connection_config":{"portalId":{"type":"string"}},"token_params":{"grant_type":"authorization_code"}}`

	tests := []struct {
		name string
		json string
		want Provider
	}{
		{
			name: "all modelled fields",
			json: full,
			want: Provider{
				Name:             "hubspot",
				DisplayName:      "HubSpot",
				LogoURL:          "http://host/images/template-logos/hubspot.svg",
				Categories:       []string{"marketing", "crm"},
				AuthMode:         "OAUTH2",
				AuthorizationURL: "https://app.hubspot.com/oauth/authorize",
				TokenURL:         "https://api.hubapi.com/oauth/v1/token",
				ScopeSeparator:   " ",
				DefaultScopes:    []string{"oauth"},
				Proxy:            &ProviderProxy{BaseURL: "https://api.hubapi.com"},
				Docs:             "https://docs.example/hubspot",
			},
		},
		{
			name: "minimal and unsupported",
			json: `{"name":"sap","auth_mode":"SIGNATURE","unsupported":"auth mode SIGNATURE is not implemented"}`,
			want: Provider{Name: "sap", AuthMode: "SIGNATURE", Unsupported: "auth mode SIGNATURE is not implemented"},
		},
		{
			name: "unexpected types are tolerated",
			json: `{"name":"multi","token_url":{"OAUTH2":"https://x/token","API_KEY":"https://x/key"},
				"default_scopes":["a",1,"b"],"categories":"crm","proxy":"nope"}`,
			want: Provider{Name: "multi", DefaultScopes: []string{"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Provider
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatal(err)
			}
			if string(got.Raw) != tt.json {
				t.Errorf("Raw = %s, want the input", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}

	t.Run("Raw gives access to unmodelled fields", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"data":[`+full+`]}`)
		ps, err := b.client.ListProviders(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		var extra struct {
			TokenParams map[string]string `json:"token_params"`
		}
		if err := json.Unmarshal(ps[0].Raw, &extra); err != nil {
			t.Fatal(err)
		}
		if extra.TokenParams["grant_type"] != "authorization_code" {
			t.Errorf("token_params = %v", extra.TokenParams)
		}
	})

	t.Run("not an object", func(t *testing.T) {
		t.Parallel()
		var p Provider
		if err := json.Unmarshal([]byte(`["x"]`), &p); err == nil {
			t.Error("want error for a non-object provider")
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()

	long := strings.Repeat("x", 199) + "é" + strings.Repeat("y", 100) // é straddles byte 200

	tests := []struct {
		name     string
		status   int
		body     string
		want     *Error
		wantText string
		notFound bool
	}{
		{
			name:   "Nango validation error",
			status: http.StatusBadRequest,
			body: `{"error":{"code":"invalid_body","message":"Invalid request body","errors":[
				{"code":"invalid_type","message":"Required","path":["credentials","client_id"]},
				{"code":"too_small","message":"Too short","path":["scopes",0]}]}}`,
			want: &Error{
				StatusCode: 400,
				Code:       "invalid_body",
				Message:    "Invalid request body",
				Errors: []FieldError{
					{Code: "invalid_type", Message: "Required", Path: []any{"credentials", "client_id"}},
					{Code: "too_small", Message: "Too short", Path: []any{"scopes", 0}},
				},
			},
			wantText: "patchbay: 400 invalid_body: Invalid request body (credentials.client_id: Required; scopes.0: Too short)",
		},
		{
			name:     "field errors without a message",
			status:   http.StatusBadRequest,
			body:     `{"error":{"code":"invalid_query_params","errors":[{"code":"invalid_enum_value","path":["include",1]}]}}`,
			want:     &Error{StatusCode: 400, Code: "invalid_query_params", Errors: []FieldError{{Code: "invalid_enum_value", Path: []any{"include", 1}}}},
			wantText: "patchbay: 400 invalid_query_params (include.1: invalid_enum_value)",
		},
		{
			name:     "not found",
			status:   http.StatusNotFound,
			body:     `{"error":{"code":"not_found","message":"Integration does not exist"}}`,
			want:     &Error{StatusCode: 404, Code: "not_found", Message: "Integration does not exist"},
			wantText: "patchbay: 404 not_found: Integration does not exist",
			notFound: true,
		},
		{
			name:     "unauthorized",
			status:   http.StatusUnauthorized,
			body:     `{"error":{"code":"unknown_account","message":"The secret key is invalid"}}`,
			want:     &Error{StatusCode: 401, Code: "unknown_account", Message: "The secret key is invalid"},
			wantText: "patchbay: 401 unknown_account: The secret key is invalid",
		},
		{
			name:     "plain text 502",
			status:   http.StatusBadGateway,
			body:     "upstream connect error\n",
			want:     &Error{StatusCode: 502, Code: "http_502", Message: "upstream connect error"},
			wantText: "patchbay: 502 http_502: upstream connect error",
		},
		{
			name:     "empty body",
			status:   http.StatusServiceUnavailable,
			body:     "",
			want:     &Error{StatusCode: 503, Code: "http_503"},
			wantText: "patchbay: 503 http_503: Service Unavailable",
		},
		{
			name:     "other JSON shape",
			status:   http.StatusInternalServerError,
			body:     `{"error":"boom"}`,
			want:     &Error{StatusCode: 500, Code: "http_500", Message: `{"error":"boom"}`},
			wantText: `patchbay: 500 http_500: {"error":"boom"}`,
		},
		{
			name:     "long body is cut on a rune boundary",
			status:   http.StatusBadGateway,
			body:     long,
			want:     &Error{StatusCode: 502, Code: "http_502", Message: strings.Repeat("x", 199)},
			wantText: "patchbay: 502 http_502: " + strings.Repeat("x", 199),
		},
		{
			name:     "secret key echoed by the server is redacted",
			status:   http.StatusUnauthorized,
			body:     `{"error":{"code":"unknown_account","message":"bad key ` + testKey + `"}}`,
			want:     &Error{StatusCode: 401, Code: "unknown_account", Message: "bad key [redacted]"},
			wantText: "patchbay: 401 unknown_account: bad key [redacted]",
		},
		{
			name:     "secret key in a plain body is redacted",
			status:   http.StatusBadRequest,
			body:     "Authorization: Bearer " + testKey,
			want:     &Error{StatusCode: 400, Code: "http_400", Message: "Authorization: Bearer [redacted]"},
			wantText: "patchbay: 400 http_400: Authorization: Bearer [redacted]",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.status, tt.body)

			_, err := b.client.GetIntegration(t.Context(), "github")
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("error = %#v\nwant %#v", got, tt.want)
			}
			if err.Error() != tt.wantText {
				t.Errorf("Error() = %q\nwant %q", err.Error(), tt.wantText)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error text contains the secret key: %q", err.Error())
			}
			if IsNotFound(err) != tt.notFound {
				t.Errorf("IsNotFound = %v, want %v", !tt.notFound, tt.notFound)
			}
		})
	}

	t.Run("every method returns *Error", func(t *testing.T) {
		t.Parallel()
		calls := map[string]func(context.Context, *Client) error{
			"Health":           func(ctx context.Context, c *Client) error { return c.Health(ctx) },
			"ListProviders":    func(ctx context.Context, c *Client) error { _, err := c.ListProviders(ctx, ""); return err },
			"GetProvider":      func(ctx context.Context, c *Client) error { _, err := c.GetProvider(ctx, "x"); return err },
			"ListIntegrations": func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err },
			"GetIntegration":   func(ctx context.Context, c *Client) error { _, err := c.GetIntegration(ctx, "x"); return err },
			"CreateIntegration": func(ctx context.Context, c *Client) error {
				_, err := c.CreateIntegration(ctx, CreateIntegrationRequest{})
				return err
			},
			"UpdateIntegration": func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegration(ctx, "x", UpdateIntegrationRequest{})
				return err
			},
			"DeleteIntegration": func(ctx context.Context, c *Client) error { return c.DeleteIntegration(ctx, "x") },
		}
		b := setup(t, http.StatusNotFound, `{"error":{"code":"not_found","message":"nope"}}`)
		for name, call := range calls {
			if err := call(t.Context(), b.client); !IsNotFound(err) {
				t.Errorf("%s: error %v, want a 404 *Error", name, err)
			}
		}
	})

	t.Run("IsNotFound on wrapped and foreign errors", func(t *testing.T) {
		t.Parallel()
		wrapped := errors.Join(errors.New("context"), &Error{StatusCode: 404})
		if !IsNotFound(wrapped) {
			t.Error("IsNotFound(wrapped 404) = false")
		}
		if IsNotFound(errors.New("404")) || IsNotFound(nil) || IsNotFound(&Error{StatusCode: 400}) {
			t.Error("IsNotFound true for a non-404 error")
		}
	})
}

// TestBadResponses covers 2xx responses that are not what the method
// expects: they must fail loudly, not return zero values.
func TestBadResponses(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		body    string
		call    func(context.Context, *Client) error
		wantErr string
	}{
		{
			name:    "missing data",
			body:    `{}`,
			call:    func(ctx context.Context, c *Client) error { _, err := c.GetIntegration(ctx, "x"); return err },
			wantErr: `patchbay: GET /integrations/x: response has no "data"`,
		},
		{
			name:    "null list",
			body:    `{"data":null}`,
			call:    func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err },
			wantErr: `patchbay: GET /integrations: response has no "data"`,
		},
		{
			name:    "not JSON",
			body:    `<html>`,
			call:    func(ctx context.Context, c *Client) error { _, err := c.ListProviders(ctx, ""); return err },
			wantErr: "patchbay: GET /providers: decoding response:",
		},
		{
			name:    "wrong type",
			body:    `{"data":{"unique_key":1}}`,
			call:    func(ctx context.Context, c *Client) error { _, err := c.GetIntegration(ctx, "x"); return err },
			wantErr: "patchbay: GET /integrations/x: decoding response:",
		},
		{
			name:    "health not ok",
			body:    `{"result":"starting"}`,
			call:    func(ctx context.Context, c *Client) error { return c.Health(ctx) },
			wantErr: `patchbay: GET /health: unexpected result "starting"`,
		},
		{
			name:    "delete success false",
			body:    `{"success":false}`,
			call:    func(ctx context.Context, c *Client) error { return c.DeleteIntegration(ctx, "x") },
			wantErr: "patchbay: DELETE /integrations/x: server reported success=false",
		},
		{
			name: "delete with empty body is fine",
			body: ``,
			call: func(ctx context.Context, c *Client) error { return c.DeleteIntegration(ctx, "x") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, http.StatusOK, tt.body)
			err := tt.call(t.Context(), b.client)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
			}
			var apiErr *Error
			if errors.As(err, &apiErr) {
				t.Errorf("2xx response produced *Error %v", apiErr)
			}
		})
	}

	t.Run("body over the cap", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"data":[`+strings.Repeat(`{"name":"x"},`, 100)+`{"name":"y"}]}`)
		b.client.maxResponseBytes = 64
		_, err := b.client.ListProviders(t.Context(), "")
		if err == nil || !strings.Contains(err.Error(), "response body exceeds 64 bytes") {
			t.Fatalf("error = %v, want size cap error", err)
		}
	})

	t.Run("error body over the cap still yields *Error", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusBadGateway, strings.Repeat("z", 1000))
		b.client.maxResponseBytes = 64
		_, err := b.client.ListProviders(t.Context(), "")
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Message != strings.Repeat("z", 64) {
			t.Fatalf("error = %#v", err)
		}
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()

	t.Run("Health works without a secret key", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"result":"ok"}`)
		c := New(b.srv.URL, "", WithHTTPClient(b.srv.Client()))
		if err := c.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.only(t).header["Authorization"]; ok {
			t.Error("Health sent an Authorization header")
		}
	})

	t.Run("no key means no header, not an empty Bearer", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusUnauthorized, `{"error":{"code":"missing_auth_header","message":"Authentication failed"}}`)
		c := New(b.srv.URL, "", WithHTTPClient(b.srv.Client()))
		_, err := c.ListIntegrations(t.Context())
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
			t.Fatalf("error = %v, want 401 *Error", err)
		}
		if _, ok := b.only(t).header["Authorization"]; ok {
			t.Error("sent an Authorization header without a key")
		}
	})
}

func TestConstruction(t *testing.T) {
	t.Parallel()

	t.Run("base URL with path prefix and trailing slash", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"data":[]}`)
		c := New(b.srv.URL+"/patchbay/", testKey, WithHTTPClient(b.srv.Client()))
		if _, err := c.ListIntegrations(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := b.only(t).path; got != "/patchbay/integrations" {
			t.Errorf("path = %q, want /patchbay/integrations", got)
		}
	})

	t.Run("WithHTTPClient(nil) keeps the default", func(t *testing.T) {
		t.Parallel()
		c := New("http://x", testKey, WithHTTPClient(nil))
		if c.httpClient == nil {
			t.Fatal("nil http client")
		}
	})

	t.Run("empty keys are rejected before any request", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"data":{}}`)
		ctx := t.Context()
		errs := []error{
			func() error { _, err := b.client.GetProvider(ctx, ""); return err }(),
			func() error { _, err := b.client.GetIntegration(ctx, ""); return err }(),
			func() error { _, err := b.client.UpdateIntegration(ctx, "", UpdateIntegrationRequest{}); return err }(),
			b.client.DeleteIntegration(ctx, ""),
		}
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "must not be empty") {
				t.Errorf("call %d: error = %v", i, err)
			}
		}
		if n := len(b.requests()); n != 0 {
			t.Errorf("server got %d requests, want 0", n)
		}
	})

	t.Run("transport errors name the call but not the key", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, "")
		b.srv.Close()
		_, err := b.client.GetIntegration(t.Context(), "github")
		if err == nil || !strings.HasPrefix(err.Error(), "patchbay: GET /integrations/github: ") {
			t.Fatalf("error = %v", err)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("error contains the secret key: %v", err)
		}
	})
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()

	// blockingServer holds every request until the client gives up (or the
	// test ends), so only the context can end the call.
	blockingServer := func(t *testing.T) (*Client, <-chan struct{}) {
		arrived := make(chan struct{}, 1)
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case arrived <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // runs first: unblocks handlers so Close returns
		return New(srv.URL, testKey, WithHTTPClient(srv.Client())), arrived
	}

	t.Run("cancelled while in flight", func(t *testing.T) {
		t.Parallel()
		c, arrived := blockingServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()
		_, err := c.ListProviders(ctx, "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		c, _ := blockingServer(t)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := c.DeleteIntegration(ctx, "x")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusOK, `{"result":"ok"}`)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.client.Health(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if n := len(b.requests()); n != 0 {
			t.Errorf("server got %d requests, want 0", n)
		}
	})
}
