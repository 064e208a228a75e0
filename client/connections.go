package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/patchbay/patchbay/wire"
)

// ConnectionError is one health problem of a connection: while a
// connection has an error of type "auth", its credentials need the end
// user to reconnect.
type ConnectionError = wire.ConnectionError

// EndUser identifies the customer's user a connection belongs to. It is
// sent as wire.EndUserInput and read as the server answers it
// (wire.EndUser).
type EndUser struct {
	// ID is the customer's own id of the user (required when sending).
	ID          string
	Email       string
	DisplayName string
	// Tags label the end user, with the same rules as connection tags.
	Tags         map[string]string
	Organization *Organization
}

// Organization is an end user's organization in the customer's product.
type Organization = wire.OrganizationInput

// MarshalJSON writes u as requests carry it (wire.EndUserInput).
func (u EndUser) MarshalJSON() ([]byte, error) { return json.Marshal(u.toInput()) }

func (u *EndUser) toInput() *wire.EndUserInput {
	in := &wire.EndUserInput{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Tags: u.Tags}
	if o := u.Organization; o != nil {
		org := *o
		in.Organization = &org
	}
	return in
}

// UnmarshalJSON accepts the server's nulls for absent optional members
// (wire.EndUser).
func (u *EndUser) UnmarshalJSON(data []byte) error {
	var w wire.EndUser
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*u = *endUserFromWire(&w)
	return nil
}

func endUserFromWire(w *wire.EndUser) *EndUser {
	if w == nil {
		return nil
	}
	u := &EndUser{ID: w.ID, Email: deref(w.Email), DisplayName: deref(w.DisplayName), Tags: w.Tags}
	if o := w.Organization; o != nil {
		u.Organization = &Organization{ID: o.ID, DisplayName: deref(o.DisplayName)}
	}
	return u
}

// toWire is u as the server answers it: unset members null.
func (u *EndUser) toWire() *wire.EndUser {
	if u == nil {
		return nil
	}
	w := &wire.EndUser{ID: u.ID, Email: ref(u.Email), DisplayName: ref(u.DisplayName), Tags: u.Tags}
	if o := u.Organization; o != nil {
		w.Organization = &wire.Organization{ID: o.ID, DisplayName: ref(o.DisplayName)}
	}
	return w
}

func ref(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ConnectionSummary is a connection as GET /connections lists it: without
// credentials or connection config. Its JSON is the server's,
// wire.ConnectionSummary.
type ConnectionSummary struct {
	// ID is the server's internal id of the connection.
	ID string
	// ConnectionID is the id the connection was created with, unique
	// within its integration.
	ConnectionID string
	// Provider is the catalog name of the integration's provider.
	Provider string
	// ProviderConfigKey is the integration's unique key.
	ProviderConfigKey string
	Created           time.Time
	Metadata          map[string]any
	Errors            []ConnectionError
	// EndUser is nil when the connection was created without one.
	EndUser *EndUser
	Tags    map[string]string
}

// Nango's timestamps: toISOString() in full objects, the list's "created"
// with "+00:00" instead of "Z".
const (
	isoMillis  = "2006-01-02T15:04:05.000Z"
	listMillis = "2006-01-02T15:04:05.000+00:00"
)

// MarshalJSON writes the server's shape (wire.ConnectionSummary).
func (c ConnectionSummary) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire.ConnectionSummary{ID: c.ID, ConnectionID: c.ConnectionID, Provider: c.Provider,
		ProviderConfigKey: c.ProviderConfigKey, Created: c.Created.UTC().Format(listMillis), Metadata: c.Metadata,
		Errors: c.Errors, EndUser: c.EndUser.toWire(), Tags: c.Tags})
}

// UnmarshalJSON reads the server's shape (wire.ConnectionSummary).
func (c *ConnectionSummary) UnmarshalJSON(data []byte) error {
	var w wire.ConnectionSummary
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	created, err := parseTime("created", w.Created)
	if err != nil {
		return err
	}
	*c = ConnectionSummary{ID: w.ID, ConnectionID: w.ConnectionID, Provider: w.Provider, ProviderConfigKey: w.ProviderConfigKey,
		Created: created, Metadata: w.Metadata, Errors: w.Errors, EndUser: endUserFromWire(w.EndUser), Tags: w.Tags}
	return nil
}

// Connection is one end user's account at a provider, with its
// credentials. Its JSON is the server's, wire.Connection.
type Connection struct {
	ID                string
	ConnectionID      string
	ProviderConfigKey string
	Provider          string
	Errors            []ConnectionError
	EndUser           *EndUser
	Metadata          map[string]any
	// ConnectionConfig holds the per-connection values the provider needs
	// (subdomain, installation id, …).
	ConnectionConfig map[string]any
	Tags             map[string]string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// LastFetchedAt is when the credentials were last read through the
	// API; nil when they never were.
	LastFetchedAt *time.Time
	// Credentials is nil in the answer to PatchConnection.
	Credentials *Credentials
}

// MarshalJSON writes the server's shape (wire.Connection).
func (c Connection) MarshalJSON() ([]byte, error) {
	w := wire.Connection{ID: c.ID, ConnectionID: c.ConnectionID, ProviderConfigKey: c.ProviderConfigKey, Provider: c.Provider,
		Errors: c.Errors, EndUser: c.EndUser.toWire(), Metadata: c.Metadata, ConnectionConfig: c.ConnectionConfig, Tags: c.Tags,
		CreatedAt: c.CreatedAt.UTC().Format(isoMillis), UpdatedAt: c.UpdatedAt.UTC().Format(isoMillis)}
	if t := c.LastFetchedAt; t != nil {
		s := t.UTC().Format(isoMillis)
		w.LastFetchedAt = &s
	}
	if c.Credentials != nil {
		b, err := json.Marshal(c.Credentials)
		if err != nil {
			return nil, err
		}
		w.Credentials = b
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the server's shape (wire.Connection).
func (c *Connection) UnmarshalJSON(data []byte) error {
	var w wire.Connection
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	out := Connection{ID: w.ID, ConnectionID: w.ConnectionID, ProviderConfigKey: w.ProviderConfigKey, Provider: w.Provider,
		Errors: w.Errors, EndUser: endUserFromWire(w.EndUser), Metadata: w.Metadata, ConnectionConfig: w.ConnectionConfig, Tags: w.Tags}
	var err error
	if out.CreatedAt, err = parseTime("created_at", w.CreatedAt); err != nil {
		return err
	}
	if out.UpdatedAt, err = parseTime("updated_at", w.UpdatedAt); err != nil {
		return err
	}
	if w.LastFetchedAt != nil {
		t, err := parseTime("last_fetched_at", *w.LastFetchedAt)
		if err != nil {
			return err
		}
		out.LastFetchedAt = &t
	}
	if len(w.Credentials) > 0 && string(w.Credentials) != "null" {
		out.Credentials = &Credentials{}
		if err := json.Unmarshal(w.Credentials, out.Credentials); err != nil {
			return err
		}
	}
	*c = out
	return nil
}

// parseTime reads a timestamp member as encoding/json reads a time.Time;
// an absent one is the zero time.
func parseTime(member, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", member, err)
	}
	return t, nil
}

// Credentials are a connection's credentials in Nango's shape; which
// fields are set depends on Type ("OAUTH2", "OAUTH1", "OAUTH2_CC",
// "API_KEY", "BASIC", "APP", "JWT" or "CUSTOM").
type Credentials struct {
	Type string `json:"type"`
	// AccessToken: OAUTH2, APP, CUSTOM.
	AccessToken string `json:"access_token,omitempty"`
	// RefreshToken: OAUTH2, and only when asked for with
	// GetConnectionOptions.RefreshToken.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Token: OAUTH2_CC and JWT.
	Token     string     `json:"token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// OAUTH1.
	OAuthToken       string `json:"oauth_token,omitempty"`
	OAuthTokenSecret string `json:"oauth_token_secret,omitempty"`
	// API_KEY.
	APIKey string `json:"apiKey,omitempty"`
	// BASIC.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// OAUTH2_CC.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// User is a CUSTOM (GitHub App OAuth) connection's user token.
	User *Credentials `json:"user,omitempty"`
	// Raw is the provider's token response.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Fields holds the other string members: a JWT provider's own
	// credential fields (key id, secret, …).
	Fields map[string]string `json:"-"`
}

// UnmarshalJSON fills the known fields and collects the others into
// Fields.
func (c *Credentials) UnmarshalJSON(data []byte) error {
	type plain Credentials
	var known plain
	if err := json.Unmarshal(data, &known); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	for _, name := range []string{"type", "access_token", "refresh_token", "token", "expires_at", "oauth_token",
		"oauth_token_secret", "apiKey", "username", "password", "client_id", "client_secret", "user", "raw"} {
		delete(members, name)
	}
	for name, raw := range members {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if known.Fields == nil {
				known.Fields = map[string]string{}
			}
			known.Fields[name] = s
		}
	}
	*c = Credentials(known)
	return nil
}

// ImportCredentials are credentials obtained elsewhere, for
// ImportConnection. Set Type to the integration's auth mode and the fields
// that mode takes:
//
//	OAUTH2     AccessToken (required), RefreshToken, ExpiresAt
//	OAUTH1     OAuthToken, OAuthTokenSecret
//	OAUTH2_CC  Token, ClientID, ClientSecret (required), ExpiresAt
//	API_KEY    APIKey
//	BASIC      Username, Password
//	APP/CUSTOM AccessToken (required), ExpiresAt, AppID, InstallationID
//	JWT        Token (required), ExpiresAt, Fields (the provider's own)
//
// Fields a mode does not take are not sent.
type ImportCredentials struct {
	Type             string
	AccessToken      string
	RefreshToken     string
	Token            string
	ExpiresAt        *time.Time
	OAuthToken       string
	OAuthTokenSecret string
	APIKey           string
	Username         string
	Password         string
	ClientID         string
	ClientSecret     string
	AppID            string
	InstallationID   string
	Fields           map[string]string
}

// MarshalJSON writes the members Type takes.
func (c ImportCredentials) MarshalJSON() ([]byte, error) {
	out := map[string]any{"type": c.Type}
	set := func(name, value string) {
		if value != "" {
			out[name] = value
		}
	}
	expiry := func() {
		if c.ExpiresAt != nil {
			out["expires_at"] = c.ExpiresAt.UTC().Format(time.RFC3339Nano)
		}
	}
	switch c.Type {
	case "OAUTH2":
		out["access_token"] = c.AccessToken
		set("refresh_token", c.RefreshToken)
		expiry()
	case "OAUTH1":
		out["oauth_token"], out["oauth_token_secret"] = c.OAuthToken, c.OAuthTokenSecret
	case "OAUTH2_CC":
		out["token"], out["client_id"], out["client_secret"] = c.Token, c.ClientID, c.ClientSecret
		expiry()
	case "API_KEY":
		out["apiKey"] = c.APIKey
	case "BASIC":
		out["username"], out["password"] = c.Username, c.Password
	case "APP", "CUSTOM":
		out["access_token"] = c.AccessToken
		set("app_id", c.AppID)
		set("installation_id", c.InstallationID)
		expiry()
	case "JWT":
		for k, v := range c.Fields {
			out[k] = v
		}
		out["type"], out["token"] = c.Type, c.Token
		delete(out, "expires_at")
		expiry()
	}
	return json.Marshal(out)
}

// ImportConnectionRequest is the body of ImportConnection.
type ImportConnectionRequest struct {
	// ProviderConfigKey is the integration's unique key.
	ProviderConfigKey string `json:"provider_config_key"`
	// ConnectionID is the new connection's id; the server generates one
	// when empty. Importing onto an existing id replaces its credentials.
	ConnectionID     string            `json:"connection_id,omitempty"`
	Credentials      ImportCredentials `json:"credentials"`
	ConnectionConfig map[string]any    `json:"connection_config,omitempty"`
	Metadata         map[string]any    `json:"metadata,omitempty"`
	EndUser          *EndUser          `json:"end_user,omitempty"`
	// Tags label the connection: at most 10; keys start with a letter and
	// are stored lowercased; values are 1–255 characters.
	Tags map[string]string `json:"tags,omitempty"`
}

// ListConnectionsOptions filter ListConnections; zero fields match all.
type ListConnectionsOptions struct {
	ConnectionID string
	// Search matches connection ids and end users' ids, e-mails and
	// display names, case-insensitively.
	Search    string
	EndUserID string
	// IntegrationID is an integration's unique key.
	IntegrationID string
	// Tags must all match.
	Tags map[string]string
	// Limit is the page size, 1–1000 (0: the server's default, 100).
	Limit int
	// Page counts pages of Limit connections from 0.
	Page int
}

// ListConnections returns the environment's connections matching opts,
// newest first.
func (c *Client) ListConnections(ctx context.Context, opts ListConnectionsOptions) ([]ConnectionSummary, error) {
	q := url.Values{}
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("connectionId", opts.ConnectionID)
	set("search", opts.Search)
	set("endUserId", opts.EndUserID)
	set("integrationId", opts.IntegrationID)
	for k, v := range opts.Tags {
		q.Set("tags["+k+"]", v)
	}
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Page != 0 {
		q.Set("page", strconv.Itoa(opts.Page))
	}
	r := request{method: http.MethodGet, path: "/connections", query: q}
	var out struct {
		Connections *[]ConnectionSummary `json:"connections"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Connections == nil {
		return nil, fmt.Errorf("patchbay: %s: response has no \"connections\"", r)
	}
	return *out.Connections, nil
}

// GetConnectionOptions adjust GetConnection.
type GetConnectionOptions struct {
	// ForceRefresh refreshes the credentials even when they are not about
	// to expire.
	ForceRefresh bool
	// RefreshToken includes the OAuth refresh token in the answer.
	RefreshToken bool
}

// GetConnection returns a connection with credentials that the server
// refreshed first if they were about to expire. An unknown connection
// yields an *Error for which IsNotFound reports true.
func (c *Client) GetConnection(ctx context.Context, integrationKey, connectionID string, opts GetConnectionOptions) (*Connection, error) {
	path, err := connectionPath(connectionID)
	if err != nil {
		return nil, err
	}
	q, err := integrationQuery(integrationKey)
	if err != nil {
		return nil, err
	}
	q.Set("force_refresh", strconv.FormatBool(opts.ForceRefresh))
	q.Set("refresh_token", strconv.FormatBool(opts.RefreshToken))
	var out Connection
	if err := c.send(ctx, request{method: http.MethodGet, path: path, query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ImportConnection creates a connection from credentials obtained
// elsewhere, or replaces the credentials of an existing one with the same
// id. Nothing is verified with the provider.
func (c *Client) ImportConnection(ctx context.Context, req ImportConnectionRequest) (*Connection, error) {
	var out Connection
	if err := c.send(ctx, request{method: http.MethodPost, path: "/connections", body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchConnectionRequest is the body of PatchConnection; nil fields are
// left unchanged.
type PatchConnectionRequest struct {
	EndUser *EndUser `json:"end_user,omitempty"`
	// Tags replaces all tags; an empty non-nil map removes them.
	Tags map[string]string `json:"tags,omitempty"`
}

// MarshalJSON sends an empty non-nil Tags as {} (omitempty would drop it).
func (p PatchConnectionRequest) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	if p.EndUser != nil {
		out["end_user"] = p.EndUser
	}
	if p.Tags != nil {
		out["tags"] = p.Tags
	}
	return json.Marshal(out)
}

// PatchConnection changes a connection's end user and tags and returns the
// connection, without credentials.
func (c *Client) PatchConnection(ctx context.Context, integrationKey, connectionID string, req PatchConnectionRequest) (*Connection, error) {
	path, err := connectionPath(connectionID)
	if err != nil {
		return nil, err
	}
	q, err := integrationQuery(integrationKey)
	if err != nil {
		return nil, err
	}
	var out Connection
	if err := c.send(ctx, request{method: http.MethodPatch, path: path, query: q, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteConnection deletes a connection. An unknown connection yields an
// *Error for which IsNotFound reports true.
func (c *Client) DeleteConnection(ctx context.Context, integrationKey, connectionID string) error {
	path, err := connectionPath(connectionID)
	if err != nil {
		return err
	}
	q, err := integrationQuery(integrationKey)
	if err != nil {
		return err
	}
	return c.send(ctx, request{method: http.MethodDelete, path: path, query: q}, nil)
}

// SetMetadata replaces the metadata of one or more connections of an
// integration. Either every connection exists and all are changed, or the
// call fails (IsNotFound) naming the first unknown one.
func (c *Client) SetMetadata(ctx context.Context, integrationKey string, connectionIDs []string, metadata map[string]any) error {
	return c.metadata(ctx, http.MethodPost, integrationKey, connectionIDs, metadata)
}

// UpdateMetadata merges metadata into that of one or more connections:
// top-level keys are replaced, the others kept.
func (c *Client) UpdateMetadata(ctx context.Context, integrationKey string, connectionIDs []string, metadata map[string]any) error {
	return c.metadata(ctx, http.MethodPatch, integrationKey, connectionIDs, metadata)
}

func (c *Client) metadata(ctx context.Context, method, integrationKey string, connectionIDs []string, metadata map[string]any) error {
	if integrationKey == "" {
		return fmt.Errorf("patchbay: integration unique key must not be empty")
	}
	if len(connectionIDs) == 0 {
		return fmt.Errorf("patchbay: at least one connection id is required")
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	body := map[string]any{"connection_id": connectionIDs, "provider_config_key": integrationKey, "metadata": metadata}
	if len(connectionIDs) == 1 {
		body["connection_id"] = connectionIDs[0]
	}
	return c.send(ctx, request{method: method, path: "/connections/metadata", body: body}, nil)
}

func connectionPath(connectionID string) (string, error) {
	seg, err := segment("connection id", connectionID)
	if err != nil {
		return "", err
	}
	return "/connections/" + seg, nil
}

func integrationQuery(integrationKey string) (url.Values, error) {
	if integrationKey == "" {
		return nil, fmt.Errorf("patchbay: integration unique key must not be empty")
	}
	return url.Values{"provider_config_key": {integrationKey}}, nil
}
