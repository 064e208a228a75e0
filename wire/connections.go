package wire

import "encoding/json"

// ConnectionError is one entry of a connection's "errors": a health
// problem, said inline (Nango points at a log instead).
type ConnectionError struct {
	// Type is "auth" (refreshing the credentials failed for good) or
	// "sync".
	Type string `json:"type"`
	// Code is machine-readable, e.g. "refresh_token_invalid".
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// EndUser is a connection's end_user as the server answers it: optional
// members are null when unset.
type EndUser struct {
	ID           string            `json:"id"`
	Email        *string           `json:"email"`
	DisplayName  *string           `json:"display_name"`
	Tags         map[string]string `json:"tags"`
	Organization *Organization     `json:"organization"`
}

// Organization is an end user's organization as the server answers it.
type Organization struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"display_name"`
}

// ConnectionSummary is an item of GET /connections: a connection without
// its credentials or connection config.
type ConnectionSummary struct {
	// ID is the server's id of the connection.
	ID string `json:"id"`
	// ConnectionID is the id the connection was created with, unique
	// within its integration.
	ConnectionID string `json:"connection_id"`
	// Provider is the catalog name of the integration's provider.
	Provider string `json:"provider"`
	// ProviderConfigKey is the integration's unique key.
	ProviderConfigKey string `json:"provider_config_key"`
	// Created is as Nango lists it: "2006-01-02T15:04:05.000+00:00".
	Created  string            `json:"created"`
	Metadata map[string]any    `json:"metadata"`
	Errors   []ConnectionError `json:"errors"`
	// EndUser is null when the connection was created without one.
	EndUser *EndUser          `json:"end_user"`
	Tags    map[string]string `json:"tags"`
}

// Connection is a connection in full (GET /connections/{id}, and the
// answers of POST /connections and PATCH).
type Connection struct {
	ID                string            `json:"id"`
	ConnectionID      string            `json:"connection_id"`
	ProviderConfigKey string            `json:"provider_config_key"`
	Provider          string            `json:"provider"`
	Errors            []ConnectionError `json:"errors"`
	EndUser           *EndUser          `json:"end_user"`
	Metadata          map[string]any    `json:"metadata"`
	ConnectionConfig  map[string]any    `json:"connection_config"`
	Tags              map[string]string `json:"tags"`
	// CreatedAt and UpdatedAt are ISO 8601 in UTC with milliseconds
	// (JavaScript's toISOString()).
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// LastFetchedAt is set by GET /connections/{id}, null elsewhere.
	LastFetchedAt *string `json:"last_fetched_at"`
	// Credentials are in Nango's shape for the auth mode; absent where a
	// response has no business carrying secrets (PATCH).
	Credentials json.RawMessage `json:"credentials,omitempty"`
}
