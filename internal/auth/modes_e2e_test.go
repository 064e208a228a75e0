package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim/ghost"
	"github.com/patchbay/patchbay/internal/providersim/jira"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/stripe"
	"github.com/patchbay/patchbay/internal/providersim/zoom"
)

// TestCredentialModes connects API key, basic, client-credentials and JWT
// providers through their endpoints, each checked by the simulated
// provider before anything is saved.
func TestCredentialModes(t *testing.T) {
	for _, backend := range apptest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			w := newWorld(t, worldOptions{backend: backend})
			for _, key := range []string{"stripe-api-key", "jira-basic", "zoom-cc", "ghost-admin"} {
				w.createIntegration(map[string]any{"unique_key": key, "provider": key})
			}
			token := w.session(map[string]any{"end_user": map[string]any{"id": "user-1"}, "tags": map[string]string{"plan": "pro"}})
			q := "?connect_session_token=" + token

			cases := []struct {
				name, path string
				body       map[string]any
				wantStatus int
				wantCode   string
			}{
				{"api key accepted", "/api-auth/api-key/stripe-api-key" + q, map[string]any{"apiKey": stripe.DefaultKey}, 200, ""},
				{"api key refused", "/api-auth/api-key/stripe-api-key" + q, map[string]any{"apiKey": "sk_test_wrong"}, 400, "connection_test_failed"},
				{"api key missing", "/api-auth/api-key/stripe-api-key" + q, map[string]any{}, 400, "invalid_body"},
				{"api key to a basic integration", "/api-auth/api-key/jira-basic" + q, map[string]any{"apiKey": "x"}, 400, "invalid_auth_mode"},
				{"basic accepted", "/api-auth/basic/jira-basic" + q + "&params[subdomain]=" + jira.DefaultSite, map[string]any{"username": jira.DefaultEmail, "password": jira.DefaultAPIToken}, 200, ""},
				{"basic refused", "/api-auth/basic/jira-basic" + q + "&params[subdomain]=" + jira.DefaultSite, map[string]any{"username": jira.DefaultEmail, "password": "nope"}, 400, "connection_test_failed"},
				{"basic without its site", "/api-auth/basic/jira-basic" + q, map[string]any{"username": jira.DefaultEmail, "password": jira.DefaultAPIToken}, 400, "missing_connection_config"},
				{"client credentials accepted", "/oauth2/auth/zoom-cc" + q + "&params[accountId]=" + zoom.DefaultAccountID, map[string]any{"client_id": zoom.DefaultClientID, "client_secret": zoom.DefaultClientSecret}, 200, ""},
				{"client credentials refused", "/oauth2/auth/zoom-cc" + q + "&params[accountId]=" + zoom.DefaultAccountID, map[string]any{"client_id": zoom.DefaultClientID, "client_secret": "wrong"}, 400, "connection_test_failed"},
				{"jwt accepted", "/auth/jwt/ghost-admin" + q + "&params[adminDomain]=" + ghost.DefaultSite, map[string]any{"keyId": ghost.DefaultKeyID, "secret": ghost.DefaultKeySecret}, 200, ""},
				{"jwt wrong secret", "/auth/jwt/ghost-admin" + q + "&params[adminDomain]=" + ghost.DefaultSite, map[string]any{"keyId": ghost.DefaultKeyID, "secret": strings.Repeat("ab", 32)}, 400, "connection_test_failed"},
				{"jwt missing field", "/auth/jwt/ghost-admin" + q + "&params[adminDomain]=" + ghost.DefaultSite, map[string]any{"keyId": ghost.DefaultKeyID}, 400, "invalid_body"},
				{"no session", "/api-auth/api-key/stripe-api-key", map[string]any{"apiKey": stripe.DefaultKey}, 401, "missing_connect_session_token"},
				{"unknown session", "/api-auth/api-key/stripe-api-key?connect_session_token=nango_connect_session_" + strings.Repeat("1", 64), map[string]any{"apiKey": stripe.DefaultKey}, 401, "invalid_connect_session_token"},
			}
			for _, tc := range cases {
				status, body := w.do("", "POST", tc.path, tc.body)
				if status != tc.wantStatus || (tc.wantCode != "" && !strings.Contains(string(body), `"code":"`+tc.wantCode+`"`)) {
					t.Errorf("%s: status %d %s, want %d %s", tc.name, status, body, tc.wantStatus, tc.wantCode)
				}
				for _, secret := range []string{stripe.DefaultKey, jira.DefaultAPIToken, zoom.DefaultClientSecret, ghost.DefaultKeySecret} {
					if strings.Contains(string(body), secret) {
						t.Errorf("%s: response echoes a secret", tc.name)
					}
				}
			}

			if c := w.onlyConnection("stripe-api-key"); c.Credentials.Type != "API_KEY" || c.Credentials.APIKey != stripe.DefaultKey ||
				c.Tags["plan"] != "pro" || c.EndUser["id"] != "user-1" {
				t.Errorf("stripe connection = %+v, tags %v, end user %v", c.Credentials, c.Tags, c.EndUser)
			}
			if c := w.onlyConnection("jira-basic"); c.Credentials.Type != "BASIC" || c.Credentials.Username != jira.DefaultEmail || c.ConnectionConfig["subdomain"] != jira.DefaultSite {
				t.Errorf("jira connection = %+v %v", c.Credentials, c.ConnectionConfig)
			}
			zc := w.onlyConnection("zoom-cc")
			if zc.Credentials.Type != "OAUTH2_CC" || zc.Credentials.Token == "" || zc.Credentials.ExpiresAt == "" {
				t.Errorf("zoom connection = %+v", zc.Credentials)
			}
			if _, aerr := w.sim.OAuth.Lookup("zoom", zc.Credentials.Token); aerr != nil {
				t.Errorf("zoom token unknown to the simulator: %v", aerr)
			}
			if c := w.onlyConnection("ghost-admin"); c.Credentials.Type != "JWT" || strings.Count(c.Credentials.Token, ".") != 2 {
				t.Errorf("ghost connection = %+v", c.Credentials)
			}
			// Client credentials are renewed, not refreshed: force_refresh
			// asks Zoom for a new token.
			before := len(w.sim.Requests(sim.RequestFilter{Provider: "zoom", Note: "grant_type=account_credentials"}))
			var forced connectionJSON
			w.call("GET", "/connections/"+url.PathEscape(zc.ConnectionID)+"?provider_config_key=zoom-cc&force_refresh=true", nil, http.StatusOK, &forced)
			if after := len(w.sim.Requests(sim.RequestFilter{Provider: "zoom", Note: "grant_type=account_credentials"})); after != before+1 || forced.Credentials.Token == zc.Credentials.Token {
				t.Errorf("force_refresh of zoom-cc: %d token requests (before %d), token changed %v", after, before, forced.Credentials.Token != zc.Credentials.Token)
			}
		})
	}
}
