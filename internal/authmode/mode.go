package authmode

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// Mode is one auth mode: what it takes, shows and does. The zero value of
// a field means the mode has no such thing (no browser flow, no form,
// nothing to renew…).
type Mode struct {
	// Name is the catalog's name of the mode (auth_mode), also the Type of
	// its stored credentials.
	Name string
	// Partial: only part of the mode is known (TBA: its integration
	// credentials), so the catalog marks its entries unsupported.
	Partial bool
	// CatalogURLs are the catalog entry fields an entry of the mode cannot
	// work without.
	CatalogURLs []string

	// Integration lists the integration credentials the mode takes
	// (POST /integrations); nil means it takes none.
	Integration *Fields

	// Import describes the credentials of an imported connection
	// (POST /connections); nil means the mode's connections cannot be
	// imported.
	Import *Import

	// Browser is the flow an end user's browser runs to connect, if any.
	Browser Browser
	// UserAuthorization marks an installation flow that also authorizes
	// the user: the redirect may carry a code for a user token, kept in
	// Credentials.User and renewed with the installation.
	UserAuthorization bool

	// Form is the credentials form an end user fills to connect, if any.
	Form *Form

	// Mint is how the mode's credentials are minted again when they
	// expire (and, for a form, first minted from what was typed).
	Mint Mint
	// NeedsRefreshToken: the credentials can only be renewed with their
	// refresh token.
	NeedsRefreshToken bool
	// Issuer marks the mode that owns its Browser and Mint mechanisms:
	// what their token requests make are this mode's credentials, and a
	// catalog entry's per-mode token_url ({"OAUTH2": …, "APP": …}) is read
	// under its name. A mode reusing another's mechanisms (CUSTOM) is not
	// their issuer, so internal/auth never names a mode to type what a
	// token request returned.
	Issuer bool

	// View fills out (which holds "type") with the credentials in Nango's
	// shape; the refresh token only when withRefreshToken.
	View func(c *store.Credentials, withRefreshToken bool, out map[string]any)
	// Token is what Nango's getToken returns; nil: the access token.
	Token func(c *store.Credentials) any
	// Header is the Authorization value the credentials carry, "" for none.
	Header func(c *store.Credentials) string
	// Sign authorizes a request by signing it, for modes that do; app
	// holds the integration's client credentials.
	Sign func(r *http.Request, app *store.IntegrationCredentials, c *store.Credentials, now func() time.Time) error
	// Placeholder are the credential members function tests see (besides
	// type); nil: an access token.
	Placeholder map[string]any
}

// Fields are the required and the optional members of a credentials
// object, by Nango's names.
type Fields struct {
	Required, Optional []string
}

// Import describes an imported connection's credentials object.
type Import struct {
	// Fields are the members it may have besides "type", required first.
	Fields
	// AllowEmpty accepts required members that are present but empty
	// (Nango does for BASIC: some providers use only one of the two).
	AllowEmpty bool
	// ProviderFields: any other member is one of the provider's own
	// credential fields (key id, secret…), kept in Credentials.Fields.
	ProviderFields bool
	// KeepRaw keeps the imported object as the "raw" token response.
	KeepRaw bool
	// Stored lists the members auth.Import refuses to save empty, checked
	// in order.
	Stored []string
	// Config lists the members (among Optional) that are not credentials
	// but belong in the connection config (an installation's app_id and
	// installation_id, which its tokens are minted from).
	Config []string
	// Ignored are members Nango's import takes that Patchbay accepts
	// without acting on, each with the JSON kind Nango requires of it
	// ("object", "string"); the API names them in X-Patchbay-Ignored.
	Ignored map[string]string
}

// Form is the credentials form of a mode an end user connects by typing
// credentials.
type Form struct {
	// Path is where the connect page posts the form, before the
	// integration key (/api-auth/api-key/{key}).
	Path string
	// Fields are the form's inputs and the request's members, unless
	// CatalogFields.
	Fields []FormField
	// CatalogFields: the inputs are the provider's credentials block of
	// the catalog, and the request's members are any strings.
	CatalogFields bool
	// Check validates what was typed and returns the credentials to mint
	// or verify; required are the provider's own credential fields the
	// end user must give, app the integration's credentials.
	Check func(required []ProviderField, app *store.IntegrationCredentials, c store.Credentials) (store.Credentials, *FieldError)
	// MintProves: minting (the token request) already proves the
	// credentials, so the provider's verification request is not run.
	MintProves bool
}

// FormField is one input of a credentials form.
type FormField struct {
	Name, Title string
	Secret      bool
	// Required refuses a request without the member.
	Required bool
}

// ProviderField is one of a provider's own credential fields (the
// catalog's credentials block).
type ProviderField struct {
	Name, Title string
}

// FieldError is typed credentials a form refuses.
type FieldError struct {
	Field, Message string
}

func (e *FieldError) Error() string { return e.Message }

// Browser is a kind of browser flow, run by internal/auth.
type Browser int

const (
	// BrowserNone: the mode has no browser flow.
	BrowserNone Browser = iota
	// BrowserOAuth2 is the OAuth 2 authorization-code flow.
	BrowserOAuth2
	// BrowserOAuth1 is the OAuth 1.0a three-legged flow.
	BrowserOAuth1
	// BrowserInstall is an app installation (GitHub App); its
	// authorization URL is the integration's installation link.
	BrowserInstall
)

// Mint is a way of minting credentials again, run by internal/auth.
type Mint int

const (
	// MintNone: the credentials are never renewed.
	MintNone Mint = iota
	// MintRefreshToken uses the OAuth 2 refresh token.
	MintRefreshToken
	// MintInstallation mints an installation token with the app's key.
	MintInstallation
	// MintClientCredentials asks for a client-credentials token.
	MintClientCredentials
	// MintJWT signs a new JWT.
	MintJWT
)

// putExpiry sets m's expires_at when t is set.
func putExpiry(m map[string]any, t *time.Time) {
	if t != nil {
		m["expires_at"] = ViewTime(*t)
	}
}

// bearer is an Authorization value of a token.
func bearer(token string) string { return "Bearer " + token }

// RawJSON is a token response as stored, minus its refresh_token unless
// withRefreshToken.
func RawJSON(raw json.RawMessage, withRefreshToken bool) json.RawMessage {
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

// ViewTime formats t as Nango's API does (ISO 8601, milliseconds, UTC).
func ViewTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
