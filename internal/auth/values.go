package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// TemplateValues are what catalog templates (${…}) of a connection may
// refer to: its connection config, its credentials by Nango's names, and
// the current time.
func TemplateValues(connectionConfig map[string]any, c *store.Credentials, now time.Time) catalog.Values {
	v := catalog.Values{"now": now.UTC().Format(time.RFC3339)}
	for k, val := range connectionConfig {
		if s, ok := scalarString(val); ok {
			v["connectionConfig."+k] = s
		}
	}
	if c == nil {
		return v
	}
	set := func(k, val string) {
		if val != "" {
			v[k] = val
			v["credentials."+k] = val
		}
	}
	set("apiKey", c.APIKey)
	set("username", c.Username)
	set("password", c.Password)
	set("client_id", c.ClientID)
	set("client_secret", c.ClientSecret)
	set("oauth_token", c.OAuthToken)
	for k, val := range c.Fields {
		set(k, val)
	}
	token := c.AccessToken
	if token == "" {
		token = c.Token
	}
	if token != "" {
		v["accessToken"] = token
		v["credentials.access_token"] = token
		v["credentials.token"] = token
	}
	return v
}

// AuthorizationHeader is the Authorization value credentials carry when
// the catalog's proxy.headers set none (authmode.AuthorizationHeader): ""
// for modes without one of their own.
func AuthorizationHeader(c *store.Credentials) string {
	return authmode.AuthorizationHeader(c)
}

// scalarString renders the scalar connection-config values templates can
// use; objects and lists are not substitutable.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return fmt.Sprint(x), true
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), "."), true
	case int, int64, int32:
		return fmt.Sprint(x), true
	}
	return "", false
}

// interpolateMap fills every template of m.
func interpolateMap(m map[string]string, v catalog.Values) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, t := range m {
		s, err := catalog.Interpolate(t, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}
