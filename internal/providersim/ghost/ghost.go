package ghost

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "ghost"

// The Admin API key every site has after a reset.
const (
	// DefaultSite is the site (admin domain) demos and tests use; any
	// valid name works.
	DefaultSite = "blog"
	// DefaultKeyID is the default key's id, the JWT header's kid.
	DefaultKeyID = "65f0c0ffee5a1b2c3d4e5f60"
	// DefaultKeySecret is the default key's secret; its hex-decoded bytes
	// sign the JWT.
	DefaultKeySecret = "5414e0d7d986a616ffb820febd5ca2fe415d46608a84962a1b9be0b5e3d43adf"
	// DefaultAdminKey is the default key as Ghost's admin shows it.
	DefaultAdminKey = DefaultKeyID + ":" + DefaultKeySecret
)

// version is the Ghost version the simulated sites report.
const version = "5.120"

var (
	sitePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	keyIDPattern  = regexp.MustCompile(`^[a-f0-9]{24}$`)
	secretPattern = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// Options tune the simulated Ghost.
type Options struct {
	// Posts is the number of posts of every site (default 24).
	Posts int
}

func (o Options) withDefaults() Options {
	if o.Posts <= 0 {
		o.Posts = 24
	}
	return o
}

// Provider is the simulated Ghost: sites with Admin API keys, JWT
// verification as Ghost does it, and posts generated from the seed.
type Provider struct {
	opts  Options
	s     *sim.Server
	sites *sim.Lazy[site] // by name, made on first use
}

// site is one Ghost site. Its posts never change after generation, so
// handlers read them without a lock.
type site struct {
	name  string
	keys  *sim.Registry[[]byte] // key id → decoded secret
	posts []post                // in Ghost's default order
	byID  map[string]int
}

// New returns the simulated Ghost.
func New(opts Options) *Provider {
	p := &Provider{opts: opts.withDefaults()}
	p.sites = sim.NewLazy(p.newSite)
	return p
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset forgets every site, and with them added and removed keys.
func (p *Provider) Reset() { p.sites.Reset() }

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	const admin = "/ghost/{site}/ghost/api/admin"
	mux.HandleFunc("GET "+admin+"/site/{$}", p.api(p.siteInfo))
	mux.HandleFunc("GET "+admin+"/posts/{$}", p.api(p.listPosts))
	mux.HandleFunc("GET "+admin+"/posts/{id}/{$}", p.api(p.getPost))

	mux.HandleFunc("POST /_control/ghost/sites/{site}/keys", p.controlAddKey)
	mux.HandleFunc("DELETE /_control/ghost/sites/{site}/keys/{id}", p.controlRemoveKey)
}

// CatalogYAML mirrors the built-in ghost-admin entry with the simulator's
// URL. The admin domain is a path segment here, so the field drops the
// https:// prefix and takes a plain site name (still a valid hostname).
func (p *Provider) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`ghost-admin:
    display_name: Ghost (Admin API, simulated)
    categories:
        - cms
    auth_mode: JWT
    signature:
        protocol: HMAC
        hmac_secret_encoding: hex
    token:
        signing_key: ${credentials.secret}
        expires_in_ms: 300000
        header:
            alg: HS256
            typ: JWT
            kid: ${credentials.keyId}
        payload:
            aud: /admin/
    proxy:
        base_url: %[1]s/ghost/${connectionConfig.adminDomain}/ghost/api/admin
        headers:
            authorization: Ghost ${accessToken}
            accept-version: ${connectionConfig.version} || v5.0
        verification:
            method: GET
            endpoints:
                - /site/
    connection_config:
        adminDomain:
            type: string
            title: Site
            description: The simulated Ghost site; any lowercase name of letters, digits, dots and dashes is a site of its own.
            format: hostname
            pattern: '^[a-z0-9][a-z0-9.-]*$'
            example: %[2]s
        version:
            type: string
            title: API version
            description: Value of the Accept-Version header; leave empty for v5.0.
            pattern: '^v\d+\.\d+$'
            example: v5.0
            optional: true
    credentials:
        keyId:
            type: string
            title: Admin API key ID
            description: The part before the colon of the Admin API key; every site has the key %[3]s.
            pattern: '^[a-f0-9]{24}$'
            example: %[3]s
        secret:
            type: string
            title: Admin API key secret
            description: The hex part after the colon of the Admin API key; the default key's is %[4]s.
            pattern: '^[a-f0-9]{64}$'
            example: %[4]s
            secret: true
    docs: https://ghost.org/docs/admin-api/#token-authentication

`, baseURL, DefaultSite, DefaultKeyID, DefaultKeySecret)
}

// newSite makes a site with the default key and its posts.
func (p *Provider) newSite(name string) *site {
	st := &site{name: name, keys: sim.NewRegistry(map[string][]byte{DefaultKeyID: mustHex(DefaultKeySecret)})}
	st.posts, st.byID = p.generatePosts(name)
	return st
}

// call is what an authenticated request carries into its handler.
type call struct {
	site *site
	url  string // the site's URL on the simulator, with a trailing slash
}

// api wraps a handler with the site lookup and Ghost's token check.
func (p *Provider) api(h func(http.ResponseWriter, *http.Request, call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Version", "v"+version)
		siteName := strings.ToLower(r.PathValue("site"))
		if !sitePattern.MatchString(siteName) {
			writeError(w, http.StatusNotFound, "NotFoundError", "", "Resource not found", nil)
			return
		}
		st := p.sites.Get(siteName)
		if e := p.authenticate(r, st); e != nil {
			writeError(w, e.status, e.typ, e.code, e.message, e.context)
			return
		}
		h(w, r, call{site: st, url: p.s.RequestBaseURL(r) + "/ghost/" + siteName + "/"})
	}
}

// writeError writes Ghost's error body; code and context are null when
// empty.
func writeError(w http.ResponseWriter, status int, typ, code, message string, context any) {
	e := map[string]any{
		"message":        message,
		"context":        context,
		"type":           typ,
		"details":        nil,
		"property":       nil,
		"help":           nil,
		"code":           nil,
		"id":             uuid.NewString(),
		"ghostErrorCode": nil,
	}
	if code != "" {
		e["code"] = code
	}
	sim.WriteJSON(w, status, map[string]any{"errors": []any{e}})
}
