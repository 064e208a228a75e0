package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Provider is one entry of the server's provider catalog: an API that
// integrations can be created for, and how Patchbay authenticates to it and
// proxies requests to it. The fields mirror Nango's providers.yaml.
//
// Only the fields most callers need are modelled. Raw holds the complete
// JSON object as the server sent it, so that any other Nango field
// (connection_config, token_params, webhook_routing_script, …) can be
// decoded by the caller when needed.
type Provider struct {
	// Name is the catalog key, used as Integration.Provider and in
	// GET /providers/{name}.
	Name string `json:"name,omitempty"`
	// DisplayName is the human-readable name, e.g. "HubSpot".
	DisplayName string `json:"display_name,omitempty"`
	// LogoURL is an absolute URL of the provider's logo.
	LogoURL string `json:"logo_url,omitempty"`
	// Categories groups providers for browsing, e.g. "crm", "ticketing".
	Categories []string `json:"categories,omitempty"`
	// AuthMode says how connections authenticate: "OAUTH2", "OAUTH1",
	// "API_KEY", "BASIC", "APP", "NONE", …
	AuthMode string `json:"auth_mode,omitempty"`
	// AuthorizationURL is where OAuth users are sent to grant access. It may
	// contain ${…} placeholders filled from the connection's config.
	AuthorizationURL string `json:"authorization_url,omitempty"`
	// TokenURL is where OAuth codes and refresh tokens are exchanged. Some
	// Nango entries give a per-auth-mode object instead of a string; TokenURL
	// is then empty and the object is available in Raw.
	TokenURL string `json:"token_url,omitempty"`
	// ScopeSeparator joins scopes in the authorization request (Nango's
	// default is a space when empty).
	ScopeSeparator string `json:"scope_separator,omitempty"`
	// DefaultScopes are requested when an integration configures none.
	DefaultScopes []string `json:"default_scopes,omitempty"`
	// Proxy describes how requests are forwarded to the provider's API; nil
	// when the provider has no proxy configuration.
	Proxy *ProviderProxy `json:"proxy,omitempty"`
	// Docs links to the provider's documentation page.
	Docs string `json:"docs,omitempty"`
	// Unsupported is non-empty when Patchbay lists the provider (to mirror
	// Nango's catalog) but cannot use it yet; it gives the reason, typically
	// an auth mode not implemented.
	Unsupported string `json:"unsupported,omitempty"`

	// Raw is the provider's complete JSON object, for the fields not
	// modelled above. It is filled by UnmarshalJSON and never marshalled.
	Raw json.RawMessage `json:"-"`
}

// ProviderProxy is the proxy section of a Provider.
type ProviderProxy struct {
	// BaseURL is the root the proxy prepends to request paths. It may
	// contain ${…} placeholders filled from the connection.
	BaseURL string `json:"base_url,omitempty"`
}

// UnmarshalJSON decodes a provider object and keeps a copy of it in Raw.
//
// Decoding is lenient field by field: Nango's schema lets several fields
// take more than one JSON type (token_url may be a string or an object), and
// a catalog entry with an unexpected shape must not make the whole provider
// list undecodable. A modelled field whose JSON type does not match is left
// at its zero value; its original value is still in Raw.
func (p *Provider) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	*p = Provider{
		Name:             lenientString(fields["name"]),
		DisplayName:      lenientString(fields["display_name"]),
		LogoURL:          lenientString(fields["logo_url"]),
		Categories:       lenientStrings(fields["categories"]),
		AuthMode:         lenientString(fields["auth_mode"]),
		AuthorizationURL: lenientString(fields["authorization_url"]),
		TokenURL:         lenientString(fields["token_url"]),
		ScopeSeparator:   lenientString(fields["scope_separator"]),
		DefaultScopes:    lenientStrings(fields["default_scopes"]),
		Docs:             lenientString(fields["docs"]),
		Unsupported:      lenientString(fields["unsupported"]),
		Raw:              bytes.Clone(data),
	}
	var proxy map[string]json.RawMessage
	if json.Unmarshal(fields["proxy"], &proxy) == nil && proxy != nil {
		p.Proxy = &ProviderProxy{BaseURL: lenientString(proxy["base_url"])}
	}
	return nil
}

// lenientString returns raw as a string, or "" when raw is absent or not a
// JSON string.
func lenientString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// lenientStrings returns the string elements of a JSON array, skipping
// elements of other types; nil when raw is absent or not an array.
func lenientStrings(raw json.RawMessage) []string {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var s string
		if json.Unmarshal(item, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// ListProviders returns the provider catalog. A non-empty search asks the
// server to filter it (by name and display name, as Nango does); an empty
// search returns every provider.
func (c *Client) ListProviders(ctx context.Context, search string) ([]Provider, error) {
	r := request{method: http.MethodGet, path: "/providers"}
	if search != "" {
		r.query = url.Values{"search": {search}}
	}
	list, err := getData[[]Provider](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// GetProvider returns one catalog entry by its name, e.g. "github". An
// unknown name yields an *Error for which IsNotFound reports true.
func (c *Client) GetProvider(ctx context.Context, name string) (*Provider, error) {
	seg, err := segment("provider name", name)
	if err != nil {
		return nil, err
	}
	return getData[Provider](ctx, c, request{method: http.MethodGet, path: "/providers/" + seg})
}
