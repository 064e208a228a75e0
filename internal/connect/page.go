package connect

import "github.com/patchbay/patchbay/internal/store"

// PageData is everything the hosted Connect UI shows for one connect
// session. The server builds it from the session, the environment's
// integrations and the catalog; the UI only renders it.
type PageData struct {
	// SessionToken is the connect session token the page authenticates its
	// requests with (query parameter connect_session_token).
	SessionToken string
	// APIURL is Patchbay's public base URL (no trailing slash); the page
	// derives the websocket URL from it.
	APIURL   string
	Settings store.ConnectUISettings
	// Integrations are the ones the session may connect, sorted by
	// display name.
	Integrations []PageIntegration
	// Reconnect is set for reconnect sessions: the page goes straight to
	// that integration and re-authorises that connection.
	Reconnect *PageReconnect
}

// PageIntegration is one integration the end user can pick.
type PageIntegration struct {
	Key         string // unique_key (provider_config_key)
	Provider    string
	DisplayName string
	LogoURL     string
	// AuthMode decides the flow: OAUTH2, OAUTH1, APP and CUSTOM open a
	// popup; API_KEY, BASIC, JWT and OAUTH2_CC show a form.
	AuthMode string
	// CredentialFields are the form fields for API_KEY, BASIC, JWT and
	// OAUTH2_CC, named as the auth endpoint's JSON body expects them
	// (apiKey; username, password; the JWT fields; client_id, client_secret).
	CredentialFields []PageField
	// ConfigFields are connection-config inputs the user must fill before
	// the flow starts (e.g. a subdomain), sent as params[name]=value.
	// Values preset by the session's integrations_config_defaults are
	// already excluded.
	ConfigFields []PageField
	DocsURL      string
}

// PageField describes one input, from the catalog.
type PageField struct {
	Name        string
	Title       string
	Description string
	Example     string
	// Pattern is a JavaScript-compatible regular expression the value must
	// match, or empty.
	Pattern string
	// Format is a catalog format hint: uri, hostname, email, …
	Format   string
	Prefix   string
	Suffix   string
	Secret   bool
	Optional bool
	// DocURL points at the provider's help for this field, when known.
	DocURL string
}

// PageReconnect names the connection a reconnect session re-authorises.
type PageReconnect struct {
	IntegrationKey string
	ConnectionID   string
}
