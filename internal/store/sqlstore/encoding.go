package sqlstore

import (
	"encoding/json"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// The types in this file are the storage format of the JSON documents the
// store writes from domain structs: sealed credentials, end users,
// connection health, environment settings and variables. They are private
// so that the domain structs (internal/store) and the API's wire shapes
// (internal/api, internal/authmode) can be renamed freely: a member name
// here is part of every existing database, and changing one is a data
// migration. storetest's StoredEncoding contract pins them.
//
// Integration settings and secrets have theirs in integrations.go.

// storedCredentials is a connection's credentials column, sealed.
type storedCredentials struct {
	Type             string             `json:"type"`
	AccessToken      string             `json:"access_token,omitempty"`
	RefreshToken     string             `json:"refresh_token,omitempty"`
	ExpiresAt        *time.Time         `json:"expires_at,omitempty"`
	Token            string             `json:"token,omitempty"`
	OAuthToken       string             `json:"oauth_token,omitempty"`
	OAuthTokenSecret string             `json:"oauth_token_secret,omitempty"`
	APIKey           string             `json:"apiKey,omitempty"`
	Username         string             `json:"username,omitempty"`
	Password         string             `json:"password,omitempty"`
	ClientID         string             `json:"client_id,omitempty"`
	ClientSecret     string             `json:"client_secret,omitempty"`
	Fields           map[string]string  `json:"fields,omitempty"`
	User             *storedCredentials `json:"user,omitempty"`
	Raw              json.RawMessage    `json:"raw,omitempty"`
}

func toStoredCredentials(c *store.Credentials) *storedCredentials {
	if c == nil {
		return nil
	}
	return &storedCredentials{
		Type: c.Type, AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, ExpiresAt: c.ExpiresAt,
		Token: c.Token, OAuthToken: c.OAuthToken, OAuthTokenSecret: c.OAuthTokenSecret, APIKey: c.APIKey,
		Username: c.Username, Password: c.Password, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Fields: c.Fields, User: toStoredCredentials(c.User), Raw: c.Raw,
	}
}

func (s *storedCredentials) domain() *store.Credentials {
	if s == nil {
		return nil
	}
	return &store.Credentials{
		Type: s.Type, AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, ExpiresAt: s.ExpiresAt,
		Token: s.Token, OAuthToken: s.OAuthToken, OAuthTokenSecret: s.OAuthTokenSecret, APIKey: s.APIKey,
		Username: s.Username, Password: s.Password, ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		Fields: s.Fields, User: s.User.domain(), Raw: s.Raw,
	}
}

// encodeCredentials is the plaintext sealed into the credentials column.
func encodeCredentials(c store.Credentials) ([]byte, error) {
	return json.Marshal(toStoredCredentials(&c))
}

func decodeCredentials(plain []byte) (store.Credentials, error) {
	var s storedCredentials
	if err := json.Unmarshal(plain, &s); err != nil {
		return store.Credentials{}, err
	}
	return *s.domain(), nil
}

// storedEndUser is the end_user column of connections and connect
// sessions.
type storedEndUser struct {
	ID           string              `json:"id"`
	Email        string              `json:"email,omitempty"`
	DisplayName  string              `json:"display_name,omitempty"`
	Tags         map[string]string   `json:"tags,omitempty"`
	Organization *storedOrganization `json:"organization,omitempty"`
}

type storedOrganization struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name,omitempty"`
}

// toStoredEndUser returns nil (a NULL column) for no end user.
func toStoredEndUser(u *store.EndUser) any {
	if u == nil {
		return nil
	}
	out := &storedEndUser{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Tags: u.Tags}
	if o := u.Organization; o != nil {
		out.Organization = &storedOrganization{ID: o.ID, DisplayName: o.DisplayName}
	}
	return out
}

func decodeEndUser(b []byte) (*store.EndUser, error) {
	var s *storedEndUser
	if err := json.Unmarshal(b, &s); err != nil || s == nil {
		return nil, err
	}
	out := &store.EndUser{ID: s.ID, Email: s.Email, DisplayName: s.DisplayName, Tags: s.Tags}
	if o := s.Organization; o != nil {
		out.Organization = &store.Organization{ID: o.ID, DisplayName: o.DisplayName}
	}
	return out, nil
}

// storedConnectionError is one element of a connection's errors column.
type storedConnectionError struct {
	Type    string    `json:"type"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

func toStoredErrors(errs []store.ConnectionError) []storedConnectionError {
	if errs == nil {
		return nil
	}
	out := make([]storedConnectionError, len(errs))
	for i, e := range errs {
		out[i] = storedConnectionError{Type: e.Type, Code: e.Code, Message: e.Message, At: e.At}
	}
	return out
}

func decodeErrors(b []byte) ([]store.ConnectionError, error) {
	var s []storedConnectionError
	if err := json.Unmarshal(b, &s); err != nil || len(s) == 0 {
		return nil, err
	}
	out := make([]store.ConnectionError, len(s))
	for i, e := range s {
		out[i] = store.ConnectionError{Type: e.Type, Code: e.Code, Message: e.Message, At: e.At}
	}
	return out, nil
}

// storedConnectUI is an environment's connect_ui_settings column.
type storedConnectUI struct {
	Name         string `json:"name,omitempty"`
	LogoURL      string `json:"logo_url,omitempty"`
	PrimaryColor string `json:"primary_color,omitempty"`
	DarkMode     bool   `json:"dark_mode,omitempty"`
}

// storedWebhooks is an environment's webhook_settings column.
type storedWebhooks struct {
	URL              string `json:"url,omitempty"`
	SecondaryURL     string `json:"secondary_url,omitempty"`
	SendAuthWebhooks *bool  `json:"send_auth_webhooks,omitempty"`
}

// storedVariable is one element of an environment's variables, sealed as
// one array.
type storedVariable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func toStoredVariables(vars []store.EnvironmentVariable) []storedVariable {
	out := make([]storedVariable, len(vars))
	for i, v := range vars {
		out[i] = storedVariable{Name: v.Name, Value: v.Value}
	}
	return out
}

func decodeVariables(b []byte) ([]store.EnvironmentVariable, error) {
	var s []storedVariable
	if err := json.Unmarshal(b, &s); err != nil || s == nil {
		return nil, err
	}
	out := make([]store.EnvironmentVariable, len(s))
	for i, v := range s {
		out[i] = store.EnvironmentVariable{Name: v.Name, Value: v.Value}
	}
	return out, nil
}
