package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/patchbay/patchbay/internal/catalog"
)

// providerCache holds each provider's JSON, rendered once: the catalog never
// changes while the server runs, and a Nango-sized catalog is ~1,000 entries.
type providerCache struct {
	catalog   *catalog.Catalog
	serverURL string

	once sync.Once
	json map[string]json.RawMessage
	err  error
}

func newProviderCache(c *catalog.Catalog, serverURL string) *providerCache {
	return &providerCache{catalog: c, serverURL: serverURL}
}

func (pc *providerCache) load() (map[string]json.RawMessage, error) {
	pc.once.Do(func() {
		pc.json = make(map[string]json.RawMessage, pc.catalog.Len())
		for _, p := range pc.catalog.All() {
			b, err := json.Marshal(p)
			if err != nil {
				pc.err = fmt.Errorf("render provider %s: %w", p.Name, err)
				return
			}
			// Nango's shape carries logo_url; the catalog doesn't know the
			// server's public URL, so it is spliced in here.
			logo, _ := json.Marshal(logoURL(pc.serverURL, p.Name))
			var buf bytes.Buffer
			buf.WriteString(`{"logo_url":`)
			buf.Write(logo)
			if len(b) > 2 {
				buf.WriteByte(',')
			}
			buf.Write(b[1:])
			pc.json[p.Name] = buf.Bytes()
		}
	})
	return pc.json, pc.err
}

func logoURL(serverURL, provider string) string {
	return serverURL + "/images/template-logos/" + url.PathEscape(provider) + ".svg"
}

func (s *Server) logoURL(provider string) string { return logoURL(s.serverURL, provider) }

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	// connect_session_token is how Nango's frontend reaches this route;
	// here the secret key authenticates it, and the token adds nothing.
	if err := acceptQuery(w, r, map[string][]string{"search": nil, "connect_session_token": ignoredParam}); err != nil {
		s.writeError(w, r, err)
		return
	}
	rendered, err := s.providers.load()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	search := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("search")))
	var buf bytes.Buffer
	buf.WriteString(`{"data":[`)
	n := 0
	for _, p := range s.catalog.All() {
		if search != "" && !strings.Contains(strings.ToLower(p.Name), search) && !strings.Contains(strings.ToLower(p.DisplayName), search) {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(rendered[p.Name])
		n++
	}
	buf.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	rendered, err := s.providers.load()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("provider")
	p, ok := rendered[name]
	if !ok {
		s.writeError(w, r, newError(http.StatusNotFound, "not_found", "provider %q not found; GET /providers lists them", name))
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"data": p})
}
