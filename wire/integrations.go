package wire

import (
	"encoding/json"
	"time"
)

// IntegrationCredentials are the app-level secrets of an integration, as
// sent to create or update one and as answered with
// ?include=credentials. Which fields apply depends on Type; the others
// are empty and omitted.
type IntegrationCredentials struct {
	// Type is the credential kind: "OAUTH2", "OAUTH1", "TBA", "APP" or
	// "CUSTOM".
	Type string `json:"type,omitempty"`
	// ClientID and ClientSecret identify the OAuth app (OAUTH1, OAUTH2, TBA,
	// CUSTOM).
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes is the comma-separated list of scopes requested by default.
	Scopes string `json:"scopes,omitempty"`
	// WebhookSecret verifies the signatures of incoming provider webhooks.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// AppID, AppLink and PrivateKey configure app-based providers such as
	// GitHub Apps (APP, CUSTOM).
	AppID      string `json:"app_id,omitempty"`
	AppLink    string `json:"app_link,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
}

// RateLimit is an integration's settings.rate_limit: at most Requests in
// any Interval, Burst of them back to back (0: the server's default).
type RateLimit struct {
	Requests int `json:"requests"`
	// Interval is a duration such as "10s", "1m" or "1h".
	Interval string `json:"interval"`
	Burst    int    `json:"burst,omitempty"`
}

// FunctionLimits are an integration's settings.functions: limits of the
// functions run for its connections, each zero for the node's default.
type FunctionLimits struct {
	// MemoryMiB is an execution's heap limit in MiB.
	MemoryMiB int `json:"memory_mib,omitempty"`
	// ActionTimeout is an action's time limit, a duration such as "30s"
	// or "5m".
	ActionTimeout string `json:"action_timeout,omitempty"`
	// SyncTimeout is a sync run's time limit, such as "2h".
	SyncTimeout string `json:"sync_timeout,omitempty"`
	// ConnectionConcurrency caps the executions running at once on one
	// connection.
	ConnectionConcurrency int `json:"connection_concurrency,omitempty"`
	// RecordsRetentionDays purges the records of the integration's
	// connections that no sync run has saved (changed or not) or deleted
	// for that many days; 0 keeps every record.
	RecordsRetentionDays int `json:"records_retention_days,omitempty"`
	// ActionOutputValidation is what an action's output that does not
	// fit its zod schema does: "warn" (the default, as Nango's runner:
	// the output is returned and a warning logged) or "enforce" (the
	// action fails with invalid_output).
	ActionOutputValidation string `json:"action_output_validation,omitempty"`
}

// Integration is Nango's integration object as the server answers it
// (GET, POST and PATCH /integrations…).
type Integration struct {
	UniqueKey   string    `json:"unique_key"`
	DisplayName string    `json:"display_name"`
	Provider    string    `json:"provider"`
	Logo        string    `json:"logo"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// WebhookURL is answered only when asked for (?include=webhook).
	WebhookURL string `json:"webhook_url,omitempty"`
	// Credentials is absent unless asked for (?include=credentials), and
	// then null when the integration has none.
	Credentials *IncludedCredentials `json:"credentials,omitempty"`
	// Settings is Patchbay's own member: the integration's overrides of
	// the catalog.
	Settings IntegrationSettings `json:"settings"`
}

// IntegrationSettings are an integration's overrides of the provider
// catalog, as answered and as sent.
type IntegrationSettings struct {
	RateLimit       *RateLimit      `json:"rate_limit,omitempty"`
	AllowedBaseURLs []string        `json:"allowed_base_urls,omitempty"`
	Functions       *FunctionLimits `json:"functions,omitempty"`
}

// IncludedCredentials is an integration's credentials member once asked
// for: the credentials, or null when it has none. (A nil
// *IncludedCredentials is the member left out.)
type IncludedCredentials struct {
	Credentials *IntegrationCredentials
}

// MarshalJSON writes the credentials, or null.
func (c *IncludedCredentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.Credentials) }

// UnmarshalJSON reads what MarshalJSON writes.
func (c *IncludedCredentials) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &c.Credentials)
}
