package trello

import (
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

type scopeNeed int

const (
	scopeRead scopeNeed = iota
	scopeWrite
)

// api wraps an API handler with Trello's authentication and its scope
// check; the handler gets a copy of the token.
func (p *Provider) api(need scopeNeed, h func(http.ResponseWriter, *http.Request, *accessToken)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, status, msg := p.authenticate(r)
		if msg != "" {
			plain(w, status, msg)
			return
		}
		if need == scopeWrite && !tok.has("write") || need == scopeRead && !tok.has("read") && !tok.has("write") {
			plain(w, http.StatusUnauthorized, "unauthorized permission requested")
			return
		}
		h(w, r, tok)
	}
}

// authenticate accepts Trello's two ways to present a token:
//
//   - an OAuth Authorization header. When it carries oauth_signature the
//     request is verified as RFC 5849 says (consumer and token secrets,
//     timestamp window, nonce replay). Trello also documents the header
//     with only oauth_consumer_key and oauth_token; that is accepted and
//     noted as auth=oauth_unsigned in the request log, so tests can tell.
//   - key and token parameters, in the query or a form body (auth=key_token).
//
// It returns the token or the status and Trello's plain-text body.
func (p *Provider) authenticate(r *http.Request) (*accessToken, int, string) {
	oauth, err := parseAuthorization(r.Header.Get("Authorization"))
	switch {
	case err == nil:
		key := oauth["oauth_consumer_key"]
		cs, known := p.consumerSecret(key)
		if !known {
			return nil, http.StatusUnauthorized, "invalid key"
		}
		tok, ok := p.lookupToken(oauth["oauth_token"], key)
		if !ok {
			return nil, http.StatusUnauthorized, "invalid token"
		}
		if _, signed := oauth["oauth_signature"]; !signed {
			sim.Annotate(r, "auth", "oauth_unsigned")
			return tok, 0, ""
		}
		if msg := p.checkSignature(r, oauth, cs, tok.secret); msg != "" {
			return nil, http.StatusUnauthorized, msg
		}
		sim.Annotate(r, "auth", "oauth")
		return tok, 0, ""
	case err != errNotOAuth:
		return nil, http.StatusBadRequest, err.Error()
	}
	key, token := r.FormValue("key"), r.FormValue("token")
	if _, known := p.consumerSecret(key); !known {
		return nil, http.StatusUnauthorized, "invalid key"
	}
	if token == "" {
		return nil, http.StatusUnauthorized, "unauthorized permission requested"
	}
	tok, ok := p.lookupToken(token, key)
	if !ok {
		return nil, http.StatusUnauthorized, "invalid token"
	}
	sim.Annotate(r, "auth", "key_token")
	return tok, 0, ""
}

// lookupToken returns a copy of a live token issued to consumer.
func (p *Provider) lookupToken(token, consumer string) (*accessToken, bool) {
	now := p.s.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tokens[token]
	if !ok || t.revoked || t.consumer != consumer || !t.expires.IsZero() && !now.Before(t.expires) {
		return nil, false
	}
	c := *t
	return &c, true
}

// fieldsFilter parses Trello's fields parameter: "all" (or nothing) keeps
// every field, else a comma-separated list of known ones; id is always
// kept. It reports false for an unknown field.
func fieldsFilter(param string, known map[string]any) (func(map[string]any) map[string]any, bool) {
	if param == "" || param == "all" {
		return func(m map[string]any) map[string]any { return m }, true
	}
	want := map[string]bool{"id": true}
	for _, f := range strings.Split(param, ",") {
		f = strings.TrimSpace(f)
		if _, ok := known[f]; !ok {
			return nil, false
		}
		want[f] = true
	}
	return func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if want[k] {
				out[k] = v
			}
		}
		return out
	}, true
}

// getMember serves GET /1/members/me. The email is there only for tokens
// with the account scope, as on Trello.
func (p *Provider) getMember(w http.ResponseWriter, r *http.Request, tok *accessToken) {
	p.mu.Lock()
	body := p.memberLocked(tok.member).json(tok.has("account"))
	p.mu.Unlock()
	filter, ok := fieldsFilter(r.URL.Query().Get("fields"), body)
	if !ok {
		plain(w, http.StatusBadRequest, "invalid value for fields")
		return
	}
	sim.WriteJSON(w, http.StatusOK, filter(body))
}

// listBoards serves GET /1/members/me/boards with filter (all, open,
// closed, starred; default all) and fields.
func (p *Provider) listBoards(w http.ResponseWriter, r *http.Request, tok *accessToken) {
	q := r.URL.Query()
	keep := map[string]func(*board) bool{
		"all":     func(*board) bool { return true },
		"open":    func(b *board) bool { return !b.closed },
		"closed":  func(b *board) bool { return b.closed },
		"starred": func(b *board) bool { return b.starred },
	}
	filterName := q.Get("filter")
	if filterName == "" {
		filterName = "all"
	}
	pick, ok := keep[filterName]
	if !ok {
		plain(w, http.StatusBadRequest, "invalid value for filter")
		return
	}
	fields, ok := fieldsFilter(q.Get("fields"), (&board{}).json())
	if !ok {
		plain(w, http.StatusBadRequest, "invalid value for fields")
		return
	}
	out := []map[string]any{}
	p.mu.Lock()
	for _, b := range p.memberLocked(tok.member).boards {
		if pick(b) {
			out = append(out, fields(b.json()))
		}
	}
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, out)
}

// createBoard serves POST /1/boards: name (1 to 16384 characters) and
// desc, from the query or a form body; it needs the write scope.
func (p *Provider) createBoard(w http.ResponseWriter, r *http.Request, tok *accessToken) {
	name, desc := r.FormValue("name"), r.FormValue("desc")
	if n := len([]rune(name)); n < 1 || n > 16384 {
		plain(w, http.StatusBadRequest, "invalid value for name")
		return
	}
	p.mu.Lock()
	b := p.addBoardLocked(p.memberLocked(tok.member), name, desc)
	body := b.json()
	p.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, body)
}
