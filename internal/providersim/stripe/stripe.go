package stripe

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "stripe"

// DefaultKey is the secret key every reset restores; it belongs to
// DefaultAccount. Tests and demos connect with it.
const DefaultKey = "sk_test_51PatchbaySimulatorDefaultKey0000000000"

// DefaultAccount is the account of DefaultKey and of keys added without
// one.
const DefaultAccount = "acct_1PatchbaySim000001"

// keyPattern is the shape of a secret or restricted key, as the built-in
// catalog entry validates it.
var keyPattern = regexp.MustCompile(`^(sk|rk)_(live|test)_[A-Za-z0-9]+$`)

// Options tune the simulated Stripe.
type Options struct {
	// Customers is the number of customers of every account (default 25).
	Customers int
}

func (o Options) withDefaults() Options {
	if o.Customers <= 0 {
		o.Customers = 25
	}
	return o
}

// Provider is the simulated Stripe: secret keys, and the balance and
// customers of each key's account, generated from the seed.
type Provider struct {
	opts     Options
	s        *sim.Server
	keys     *sim.Registry[string] // key → account
	accounts *sim.Lazy[account]    // by id, generated on first use
}

// New returns the simulated Stripe.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults(), keys: sim.NewRegistry(map[string]string{DefaultKey: DefaultAccount})}
	p.accounts = sim.NewLazy(p.newAccount)
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset forgets added and revoked keys and the generated accounts.
func (p *Provider) Reset() {
	p.keys.Reset()
	p.accounts.Reset()
}

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	mux.HandleFunc("GET /stripe/v1/balance", p.api(p.balance))
	mux.HandleFunc("GET /stripe/v1/customers", p.api(p.listCustomers))
	mux.HandleFunc("GET /stripe/v1/customers/{id}", p.api(p.getCustomer))

	mux.HandleFunc("POST /_control/stripe/keys", p.controlAddKey)
	mux.HandleFunc("DELETE /_control/stripe/keys/{key}", p.controlRevokeKey)
}

// CatalogYAML mirrors the built-in stripe-api-key entry with the
// simulator's URL.
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`stripe-api-key:
    display_name: Stripe (API key, simulated)
    categories:
        - payment
    auth_mode: API_KEY
    proxy:
        base_url: %[1]s/stripe
        headers:
            authorization: Bearer ${apiKey}
        verification:
            method: GET
            endpoints:
                - /v1/balance
    credentials:
        apiKey:
            type: string
            title: Secret or restricted key
            description: A secret (sk_) or restricted (rk_) key of the simulated Stripe; %[2]s is valid after every reset.
            pattern: '^(sk|rk)_(live|test)_[A-Za-z0-9]+$'
            example: %[2]s
            secret: true
    docs: https://docs.stripe.com/keys

`, baseURL, DefaultKey)
}

// call is what an authenticated request carries into its handler.
type call struct {
	account  string
	livemode bool
}

// api wraps a handler with Stripe's key check and Request-Id header.
func (p *Provider) api(h func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Request-Id", "req_"+sim.RandomToken("")[:14])
		key, ok := apiKey(r)
		if !ok {
			p.unauthorized(w, "You did not provide an API key. You need to provide your API key in the Authorization header, "+
				"using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "+
				"for details, or we can help at https://support.stripe.com/.")
			return
		}
		acct, known := p.keys.Get(key)
		if !known {
			p.unauthorized(w, "Invalid API Key provided: "+maskKey(key))
			return
		}
		h(w, r, call{account: acct, livemode: strings.Contains(key, "_live_")})
	}
}

// apiKey reads the key from a Bearer header or from Basic auth's
// username, the two ways Stripe accepts.
func apiKey(r *http.Request) (string, bool) {
	if user, _, ok := r.BasicAuth(); ok {
		return user, user != ""
	}
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key := strings.TrimSpace(rest)
	return key, key != ""
}

func (p *Provider) unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Stripe"`)
	sim.WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
		"message": message,
		"type":    "invalid_request_error",
	}})
}

// maskKey hides a key the way Stripe's "Invalid API Key provided"
// message does: the sk_test_-style prefix and the last four characters
// stay, the rest becomes asterisks.
func maskKey(key string) string {
	prefix := ""
	if first := strings.IndexByte(key, '_'); first >= 0 {
		if second := strings.IndexByte(key[first+1:], '_'); second >= 0 {
			prefix = key[:first+1+second+1]
		}
	}
	rest := key[len(prefix):]
	if len(rest) <= 4 {
		return prefix + strings.Repeat("*", len(rest))
	}
	return prefix + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}

// paramError writes Stripe's 400 for a bad request parameter.
func paramError(w http.ResponseWriter, status int, code, param, message string) {
	body := map[string]any{
		"message": message,
		"param":   param,
		"type":    "invalid_request_error",
	}
	if code != "" {
		body["code"] = code
		body["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	sim.WriteJSON(w, status, map[string]any{"error": body})
}
