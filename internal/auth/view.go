package auth

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// CredentialsView renders credentials in Nango's shape for
// their auth mode. The refresh token, which lets its holder mint access
// tokens forever, is only included when asked for (also inside raw).
func CredentialsView(c *store.Credentials, withRefreshToken bool) map[string]any {
	out := map[string]any{"type": c.Type}
	putExpiry := func(m map[string]any, t *time.Time) {
		if t != nil {
			m["expires_at"] = viewTime(*t)
		}
	}
	switch c.Type {
	case "OAUTH2":
		out["access_token"] = c.AccessToken
		if withRefreshToken && c.RefreshToken != "" {
			out["refresh_token"] = c.RefreshToken
		}
		putExpiry(out, c.ExpiresAt)
		out["raw"] = rawJSON(c.Raw, withRefreshToken)
	case "OAUTH1":
		out["oauth_token"] = c.OAuthToken
		out["oauth_token_secret"] = c.OAuthTokenSecret
		out["raw"] = rawJSON(c.Raw, true)
	case "API_KEY":
		out["apiKey"] = c.APIKey
	case "BASIC":
		out["username"] = c.Username
		out["password"] = c.Password
	case "APP":
		out["access_token"] = c.AccessToken
		putExpiry(out, c.ExpiresAt)
		out["raw"] = rawJSON(c.Raw, true)
	case "OAUTH2_CC":
		out["token"] = c.Token
		putExpiry(out, c.ExpiresAt)
		out["raw"] = rawJSON(c.Raw, true)
		out["client_id"] = c.ClientID
		out["client_secret"] = c.ClientSecret
	case "JWT":
		for k, v := range c.Fields {
			out[k] = v
		}
		out["type"] = c.Type
		out["token"] = c.Token
		delete(out, "expires_at")
		putExpiry(out, c.ExpiresAt)
	case "CUSTOM":
		out["access_token"] = c.AccessToken
		putExpiry(out, c.ExpiresAt)
		out["raw"] = rawJSON(c.Raw, true)
		if u := c.User; u != nil {
			user := map[string]any{"access_token": u.AccessToken}
			if withRefreshToken && u.RefreshToken != "" {
				user["refresh_token"] = u.RefreshToken
			}
			putExpiry(user, u.ExpiresAt)
			if len(u.Raw) > 0 {
				user["raw"] = rawJSON(u.Raw, withRefreshToken)
			}
			out["user"] = user
		}
	}
	return out
}

// rawJSON is a token response as stored, minus its refresh_token unless
// withRefreshToken.
func rawJSON(raw json.RawMessage, withRefreshToken bool) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}")
	}
	if withRefreshToken {
		return raw
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		return raw
	}
	if _, ok := members["refresh_token"]; !ok {
		return raw
	}
	delete(members, "refresh_token")
	b, err := json.Marshal(members)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// viewTime formats t as Nango's API does (ISO 8601, milliseconds, UTC).
func viewTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
