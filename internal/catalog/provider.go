package catalog

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Provider is one catalog entry. Field names in the yaml source and in JSON
// are Nango's providers.yaml names, so the same struct serves a Nango-format
// file on the way in and Nango's GET /providers shape on the way out.
//
// Fields Patchbay does not act on (assertion blocks, token_response,
// integration_config, …) are kept verbatim in Extra so they survive the
// round trip to JSON.
type Provider struct {
	// Name is the entry's key in the file, e.g. "github".
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	// AuthMode is Nango's auth mode name: OAUTH2, OAUTH1, OAUTH2_CC,
	// API_KEY, BASIC, JWT, APP, CUSTOM, NONE, or one of Nango's others
	// (TWO_STEP, TBA, SIGNATURE, BILL, MCP_OAUTH2, …).
	AuthMode string `json:"auth_mode,omitempty"`
	// Alias names the entry this one inherits from; the inherited fields
	// are already merged in.
	Alias string `json:"alias,omitempty"`
	// Unsupported is non-empty when the entry is listed but cannot be used
	// (an auth mode Patchbay does not implement, or an incomplete entry in a
	// user's file); it says why.
	Unsupported string `json:"unsupported,omitempty"`

	AuthorizationURL string `json:"authorization_url,omitempty"`
	// TokenURL is the token endpoint. CUSTOM entries (GitHub App OAuth) have
	// one per auth step instead, in TokenURLByMode.
	TokenURL       string            `json:"token_url,omitempty"`
	TokenURLByMode map[string]string `json:"-"`
	RefreshURL     string            `json:"refresh_url,omitempty"`
	// RequestURL is OAuth 1.0a's temporary-credentials endpoint.
	RequestURL string `json:"request_url,omitempty"`

	AuthorizationParams map[string]string `json:"authorization_params,omitempty"`
	TokenParams         map[string]string `json:"token_params,omitempty"`
	RefreshParams       map[string]string `json:"refresh_params,omitempty"`
	RequestParams       map[string]string `json:"request_params,omitempty"`

	// AuthorizationMethod "header" sends client credentials in a Basic
	// header (Nango's older spelling of TokenRequestAuthMethod "basic").
	AuthorizationMethod string `json:"authorization_method,omitempty"`
	// BodyFormat is the token request encoding: "form" (default) or "json".
	BodyFormat string `json:"body_format,omitempty"`
	// TokenRequestAuthMethod "basic" sends client_id/secret as HTTP Basic
	// on token requests instead of in the body.
	TokenRequestAuthMethod string   `json:"token_request_auth_method,omitempty"`
	ScopeSeparator         string   `json:"scope_separator,omitempty"`
	DefaultScopes          []string `json:"default_scopes,omitempty"`
	DisablePKCE            bool     `json:"disable_pkce,omitempty"`

	AuthorizationURLReplacements     map[string]string `json:"authorization_url_replacements,omitempty"`
	AuthorizationURLFragment         string            `json:"authorization_url_fragment,omitempty"`
	AuthorizationURLSkipEncode       []string          `json:"authorization_url_skip_encode,omitempty"`
	AuthorizationURLSkipEmpty        bool              `json:"authorization_url_skip_empty,omitempty"`
	AuthorizationCodeParamInCallback string            `json:"authorization_code_param_in_callback,omitempty"`
	// RedirectURIMetadata lists callback query parameters saved into the
	// connection config (e.g. QuickBooks' realmId).
	RedirectURIMetadata []string `json:"redirect_uri_metadata,omitempty"`
	// TokenResponseMetadata lists token-response fields (dot paths) saved
	// into the connection config (e.g. Salesforce's instance_url).
	TokenResponseMetadata            []string `json:"token_response_metadata,omitempty"`
	AlternateAccessTokenResponsePath string   `json:"alternate_access_token_response_path,omitempty"`
	ExpiresInUnit                    string   `json:"expires_in_unit,omitempty"`
	// TokenExpirationBuffer is how many seconds before expiry to refresh.
	TokenExpirationBuffer int64 `json:"token_expiration_buffer,omitempty"`
	// ConnectionConfiguration lists connection-config keys that a
	// post-connection step fills in.
	ConnectionConfiguration []string `json:"connection_configuration,omitempty"`
	// Installation "outbound" means the provider starts the install (no
	// authorization URL).
	Installation string `json:"installation,omitempty"`

	// SignatureMethod is OAuth 1.0a's signature method (HMAC-SHA1, …).
	SignatureMethod string `json:"signature_method,omitempty"`
	// Signature and Token describe how JWT-mode credentials are signed.
	Signature *Signature `json:"signature,omitempty"`
	Token     *TokenSpec `json:"token,omitempty"`

	Proxy            *ProxyConfig           `json:"proxy,omitempty"`
	ConnectionConfig map[string]ConfigField `json:"connection_config,omitempty"`
	Credentials      map[string]ConfigField `json:"credentials,omitempty"`

	WebhookRoutingScript          string   `json:"webhook_routing_script,omitempty"`
	WebhookUserDefinedSecret      bool     `json:"webhook_user_defined_secret,omitempty"`
	WebhookAllowedQueryParams     []string `json:"webhook_allowed_query_params,omitempty"`
	PostConnectionScript          string   `json:"post_connection_script,omitempty"`
	PreConnectionDeletionScript   string   `json:"pre_connection_deletion_script,omitempty"`
	CredentialsVerificationScript string   `json:"credentials_verification_script,omitempty"`

	Docs          string `json:"docs,omitempty"`
	DocsConnect   string `json:"docs_connect,omitempty"`
	SetupGuideURL string `json:"setup_guide_url,omitempty"`

	// Extra holds every field of the source entry that is not modelled
	// above, decoded from YAML into plain maps, slices and scalars.
	Extra map[string]any `json:"-"`
}

// Supported reports whether Patchbay can use this entry; when it is false,
// Unsupported says why.
func (p *Provider) Supported() bool { return p.Unsupported == "" }

// MarshalJSON renders the entry in Nango's /providers shape: the modelled
// fields, then Extra, then token_url as an object for per-mode token URLs.
func (p *Provider) MarshalJSON() ([]byte, error) {
	type plain Provider // drops the method, so json.Marshal does not recurse
	extra := p.Extra
	if p.TokenURLByMode != nil {
		extra = cloneMap(p.Extra)
		extra["token_url"] = p.TokenURLByMode
	}
	return marshalWithExtra((*plain)(p), extra)
}

// Signature is the signing protocol of a JWT-mode entry.
type Signature struct {
	// Protocol is RSA, HMAC or EC.
	Protocol string `json:"protocol,omitempty"`
	// HMACSecretEncoding says how to decode an HMAC secret (e.g. "hex").
	HMACSecretEncoding string         `json:"hmac_secret_encoding,omitempty"`
	Extra              map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled signature fields.
func (s *Signature) MarshalJSON() ([]byte, error) {
	type plain Signature
	return marshalWithExtra((*plain)(s), s.Extra)
}

// TokenSpec describes the JWT a JWT-mode entry signs: key, lifetime, header
// and payload claims (all may contain ${…} placeholders).
type TokenSpec struct {
	SigningKey  string            `json:"signing_key,omitempty"`
	ExpiresInMs int64             `json:"expires_in_ms,omitempty"`
	Header      map[string]string `json:"header,omitempty"`
	// Payload values are strings or lists of strings (e.g. scope).
	Payload map[string]any `json:"payload,omitempty"`
	Extra   map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled token fields.
func (t *TokenSpec) MarshalJSON() ([]byte, error) {
	type plain TokenSpec
	return marshalWithExtra((*plain)(t), t.Extra)
}

// ProxyConfig tells the proxy where a provider's API lives and how to call
// it: base URL, auth headers/query, retry hints, default pagination, a
// cheap request that proves API_KEY/BASIC credentials work, and the rate
// limit to stay under.
type ProxyConfig struct {
	BaseURL string            `json:"base_url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Query   map[string]string `json:"query,omitempty"`
	// Body holds fields merged into every JSON request body (a few APIs take
	// the key in the body).
	Body map[string]any `json:"body,omitempty"`
	// ConnectionConfig maps connection-config keys exposed to functions.
	ConnectionConfig         map[string]string   `json:"connection_config,omitempty"`
	Retry                    *RetryConfig        `json:"retry,omitempty"`
	Decompress               bool                `json:"decompress,omitempty"`
	ForwardHeadersOnRedirect bool                `json:"forward_headers_on_redirect,omitempty"`
	Paginate                 *PaginateConfig     `json:"paginate,omitempty"`
	Verification             *VerificationConfig `json:"verification,omitempty"`
	// RateLimit is the provider's known limit per connection (Patchbay's
	// extension); nil means the proxy does not throttle itself.
	RateLimit *RateLimit     `json:"rate_limit,omitempty"`
	Extra     map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled proxy fields.
func (c *ProxyConfig) MarshalJSON() ([]byte, error) {
	type plain ProxyConfig
	return marshalWithExtra((*plain)(c), c.Extra)
}

// RetryConfig names the response headers that say when a rate-limited
// request may be retried.
type RetryConfig struct {
	// At lists headers holding the reset time (epoch seconds or a date).
	At []string `json:"at,omitempty"`
	// After lists headers holding a delay in seconds (Retry-After).
	After []string `json:"after,omitempty"`
	// Remaining is the header holding the remaining request budget.
	Remaining string `json:"remaining,omitempty"`
	// ErrorCode lists statuses to retry ("429", "5xx", …).
	ErrorCode []string `json:"error_code,omitempty"`
	// InBody finds a retry hint in the response body instead.
	InBody *RetryInBody   `json:"in_body,omitempty"`
	Extra  map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled retry fields.
func (r *RetryConfig) MarshalJSON() ([]byte, error) {
	type plain RetryConfig
	return marshalWithExtra((*plain)(r), r.Extra)
}

// RetryInBody locates a retry hint in an error body: the value at Path is
// matched against the regular expression Value; Strategy is "at" or "after".
type RetryInBody struct {
	Path     string `json:"path,omitempty"`
	Value    string `json:"value,omitempty"`
	Strategy string `json:"strategy,omitempty"`
}

// PaginateConfig is a provider's default pagination, which nango.paginate
// merges a function's own config over.
type PaginateConfig struct {
	// Type is "cursor", "link" or "offset".
	Type                    string `json:"type,omitempty"`
	CursorPathInResponse    string `json:"cursor_path_in_response,omitempty"`
	CursorNameInRequest     string `json:"cursor_name_in_request,omitempty"`
	LimitNameInRequest      string `json:"limit_name_in_request,omitempty"`
	ResponsePath            string `json:"response_path,omitempty"`
	LinkRelInResponseHeader string `json:"link_rel_in_response_header,omitempty"`
	LinkPathInResponseBody  string `json:"link_path_in_response_body,omitempty"`
	OffsetNameInRequest     string `json:"offset_name_in_request,omitempty"`
	OffsetStartValue        *int64 `json:"offset_start_value,omitempty"`
	// OffsetCalculationMethod is "by-response-size" (default) or "per-page".
	OffsetCalculationMethod string         `json:"offset_calculation_method,omitempty"`
	Extra                   map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled pagination fields.
func (c *PaginateConfig) MarshalJSON() ([]byte, error) {
	type plain PaginateConfig
	return marshalWithExtra((*plain)(c), c.Extra)
}

// VerificationConfig is the request that checks API_KEY/BASIC credentials
// before a connection is saved.
type VerificationConfig struct {
	Method          string            `json:"method,omitempty"`
	Endpoints       []string          `json:"endpoints,omitempty"`
	BaseURLOverride string            `json:"base_url_override,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
	// Data is the request body, as decoded from YAML.
	Data  any            `json:"data,omitempty"`
	Extra map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled verification fields.
func (c *VerificationConfig) MarshalJSON() ([]byte, error) {
	type plain VerificationConfig
	return marshalWithExtra((*plain)(c), c.Extra)
}

// ConfigField describes one connection-config or credentials input: how
// the Connect UI labels and validates it and whether it is secret.
type ConfigField struct {
	Type         string   `json:"type"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Example      string   `json:"example,omitempty"`
	Pattern      string   `json:"pattern,omitempty"`
	Format       string   `json:"format,omitempty"`
	Enum         []string `json:"enum,omitempty"`
	Order        int64    `json:"order,omitempty"`
	DefaultValue string   `json:"default_value,omitempty"`
	Prefix       string   `json:"prefix,omitempty"`
	Suffix       string   `json:"suffix,omitempty"`
	DocSection   string   `json:"doc_section,omitempty"`
	Optional     bool     `json:"optional,omitempty"`
	Hidden       bool     `json:"hidden,omitempty"`
	// Automated fields are filled by Patchbay (e.g. from the token
	// response), never by the end user.
	Automated bool           `json:"automated,omitempty"`
	Secret    bool           `json:"secret,omitempty"`
	Extra     map[string]any `json:"-"`
}

// MarshalJSON keeps unmodelled field attributes (visible_when, …).
func (f ConfigField) MarshalJSON() ([]byte, error) {
	type plain ConfigField
	p := plain(f)
	return marshalWithExtra(&p, f.Extra)
}

// marshalWithExtra marshals v and appends the extra keys, sorted, so the
// modelled fields keep their declared order and unknown ones are not lost.
func marshalWithExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // drop the closing brace
	for _, k := range keys {
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
