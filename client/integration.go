package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/patchbay/patchbay/wire"
)

// Values for GetIntegration's include parameter, which ask the server for
// fields it omits by default because they are sensitive or derived.
const (
	// IncludeCredentials fills Integration.Credentials (client secrets,
	// private keys): request it only where the secrets are needed.
	IncludeCredentials = "credentials"
	// IncludeWebhook fills Integration.WebhookURL, the address to register
	// with the provider for incoming webhooks.
	IncludeWebhook = "webhook"
)

// Integration is an environment's configuration of one provider: the OAuth
// app (or other credentials) that connections to that provider use. One
// provider can back several integrations with different unique keys. Its
// JSON is the server's, wire.Integration.
type Integration struct {
	// UniqueKey identifies the integration within its environment; callers
	// choose it at creation and pass it as provider_config_key elsewhere.
	UniqueKey string
	// DisplayName is the human-readable name, defaulting to the provider's.
	DisplayName string
	// Provider is the catalog name of the provider (see Provider.Name).
	Provider string
	// Logo is an absolute URL of the provider's logo.
	Logo string
	// CreatedAt and UpdatedAt are the server's timestamps.
	CreatedAt time.Time
	UpdatedAt time.Time
	// WebhookURL is where the provider should send webhooks for this
	// integration; set only when requested with IncludeWebhook.
	WebhookURL string
	// Credentials are the integration's app credentials; set only when
	// requested with IncludeCredentials, and nil even then when the
	// integration has none (for example an API_KEY provider).
	Credentials *IntegrationCredentials
	// Settings are the integration's overrides of the provider catalog.
	Settings IntegrationSettings
}

// MarshalJSON writes the server's shape (wire.Integration).
func (in Integration) MarshalJSON() ([]byte, error) {
	w := wire.Integration{UniqueKey: in.UniqueKey, DisplayName: in.DisplayName, Provider: in.Provider, Logo: in.Logo,
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, WebhookURL: in.WebhookURL, Settings: in.Settings.toWire()}
	if in.Credentials != nil {
		w.Credentials = &wire.IncludedCredentials{Credentials: in.Credentials}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the server's shape (wire.Integration).
func (in *Integration) UnmarshalJSON(b []byte) error {
	var w wire.Integration
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	settings, err := settingsFromWire(w.Settings)
	if err != nil {
		return err
	}
	*in = Integration{UniqueKey: w.UniqueKey, DisplayName: w.DisplayName, Provider: w.Provider, Logo: w.Logo,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, WebhookURL: w.WebhookURL, Settings: settings}
	if w.Credentials != nil {
		in.Credentials = w.Credentials.Credentials
	}
	return nil
}

// IntegrationSettings are an integration's overrides of the provider
// catalog. They are Patchbay's own: Nango's API has no such member. Their
// JSON is wire.IntegrationSettings.
type IntegrationSettings struct {
	// RateLimit replaces the catalog's known limit of the provider for the
	// integration's connections (for example a plan with higher limits);
	// nil keeps the catalog's. Patchbay throttles each connection to stay
	// under it rather than wait for the provider's 429.
	RateLimit *RateLimit
	// AllowedBaseURLs are the absolute http(s) URLs a proxy request may
	// name in its Base-Url-Override header, besides the provider's own.
	AllowedBaseURLs []string
	// Functions replaces the node's limits of the functions run for the
	// integration's connections; nil keeps the node's.
	Functions *FunctionLimits
}

func (s IntegrationSettings) toWire() wire.IntegrationSettings {
	w := wire.IntegrationSettings{AllowedBaseURLs: s.AllowedBaseURLs, Functions: s.Functions}
	if r := s.RateLimit; r != nil {
		w.RateLimit = &wire.RateLimit{Requests: r.Requests, Interval: r.Interval.String(), Burst: r.Burst}
	}
	return w
}

func settingsFromWire(w wire.IntegrationSettings) (IntegrationSettings, error) {
	s := IntegrationSettings{AllowedBaseURLs: w.AllowedBaseURLs, Functions: w.Functions}
	if r := w.RateLimit; r != nil {
		interval, err := time.ParseDuration(r.Interval)
		if err != nil {
			return s, fmt.Errorf("rate_limit.interval: %w", err)
		}
		s.RateLimit = &RateLimit{Requests: r.Requests, Interval: interval, Burst: r.Burst}
	}
	return s, nil
}

// MarshalJSON writes the server's shape (wire.IntegrationSettings).
func (s IntegrationSettings) MarshalJSON() ([]byte, error) { return json.Marshal(s.toWire()) }

// UnmarshalJSON reads the server's shape (wire.IntegrationSettings).
func (s *IntegrationSettings) UnmarshalJSON(b []byte) error {
	var w wire.IntegrationSettings
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out, err := settingsFromWire(w)
	if err != nil {
		return err
	}
	*s = out
	return nil
}

// FunctionLimits are an integration's limits of the functions run for
// its connections, each zero for the node's default.
type FunctionLimits = wire.FunctionLimits

// RateLimit is a provider's limit per connection: at most Requests in
// any Interval, Burst of them back to back. The server refills the
// connection's bucket at Requests − Burst per Interval, so Burst must be
// below Requests (or 1 when Requests is 1); zero asks for the default, a
// tenth of Requests.
type RateLimit struct {
	Requests int
	Interval time.Duration
	Burst    int
}

// MarshalJSON writes {"requests":…,"interval":"10s","burst":…}
// (wire.RateLimit).
func (r RateLimit) MarshalJSON() ([]byte, error) {
	return json.Marshal(IntegrationSettings{RateLimit: &r}.toWire().RateLimit)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RateLimit) UnmarshalJSON(b []byte) error {
	var w wire.RateLimit
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s, err := settingsFromWire(wire.IntegrationSettings{RateLimit: &w})
	if err != nil {
		return err
	}
	*r = *s.RateLimit
	return nil
}

// IntegrationCredentials are the app-level secrets of an integration. Which
// fields apply depends on Type; the others are empty and omitted from JSON.
type IntegrationCredentials = wire.IntegrationCredentials

// CreateIntegrationRequest is the body of CreateIntegration.
type CreateIntegrationRequest struct {
	// UniqueKey is the new integration's key; it must be unused in the
	// environment.
	UniqueKey string `json:"unique_key"`
	// Provider is the catalog name of the provider to configure.
	Provider string `json:"provider"`
	// DisplayName overrides the provider's display name when non-empty.
	DisplayName string `json:"display_name,omitempty"`
	// Credentials are required for providers whose auth mode needs an app
	// (OAuth, APP, …) and must be nil otherwise.
	Credentials *IntegrationCredentials `json:"credentials,omitempty"`
	// Settings are optional overrides of the provider catalog.
	Settings *IntegrationSettings `json:"settings,omitempty"`
}

// UpdateIntegrationRequest is the body of UpdateIntegration. Nil fields are
// left unchanged, so a caller can, for example, rotate credentials without
// restating the display name.
type UpdateIntegrationRequest struct {
	// UniqueKey renames the integration.
	UniqueKey *string `json:"unique_key,omitempty"`
	// DisplayName replaces the display name.
	DisplayName *string `json:"display_name,omitempty"`
	// Credentials replaces the credentials as a whole.
	Credentials *IntegrationCredentials `json:"credentials,omitempty"`
	// Settings replaces the settings as a whole; an empty
	// IntegrationSettings clears them.
	Settings *IntegrationSettings `json:"settings,omitempty"`
}

// ListIntegrations returns the environment's integrations, without
// credentials or webhook URLs.
func (c *Client) ListIntegrations(ctx context.Context) ([]Integration, error) {
	list, err := getData[[]Integration](ctx, c, request{method: http.MethodGet, path: "/integrations"})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// GetIntegration returns one integration by its unique key. Pass
// IncludeCredentials and/or IncludeWebhook to have the server fill the
// corresponding fields. An unknown key yields an *Error for which
// IsNotFound reports true.
func (c *Client) GetIntegration(ctx context.Context, uniqueKey string, include ...string) (*Integration, error) {
	seg, err := segment("integration unique key", uniqueKey)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodGet, path: "/integrations/" + seg}
	if len(include) > 0 {
		r.query = url.Values{"include": include}
	}
	return getData[Integration](ctx, c, r)
}

// CreateIntegration creates an integration and returns it as stored.
func (c *Client) CreateIntegration(ctx context.Context, req CreateIntegrationRequest) (*Integration, error) {
	return getData[Integration](ctx, c, request{method: http.MethodPost, path: "/integrations", body: req})
}

// UpdateIntegration changes the non-nil fields of req on the integration
// identified by uniqueKey and returns the result.
func (c *Client) UpdateIntegration(ctx context.Context, uniqueKey string, req UpdateIntegrationRequest) (*Integration, error) {
	seg, err := segment("integration unique key", uniqueKey)
	if err != nil {
		return nil, err
	}
	return getData[Integration](ctx, c, request{method: http.MethodPatch, path: "/integrations/" + seg, body: req})
}

// DeleteIntegration deletes the integration identified by uniqueKey. An
// unknown key yields an *Error for which IsNotFound reports true.
func (c *Client) DeleteIntegration(ctx context.Context, uniqueKey string) error {
	seg, err := segment("integration unique key", uniqueKey)
	if err != nil {
		return err
	}
	r := request{method: http.MethodDelete, path: "/integrations/" + seg}
	var out struct {
		Success *bool `json:"success"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return err
	}
	// Nango answers {"success":true}; treat an explicit false as a failure
	// rather than trusting the status code alone.
	if out.Success != nil && !*out.Success {
		return fmt.Errorf("patchbay: %s: server reported success=false", r)
	}
	return nil
}
