package hubspot

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// bundle is one test's simulator and a token for its default portal.
type bundle struct {
	s     *simtest.Server
	p     *Provider
	token string
}

func setup(t testing.TB, so sim.Options, o Options) *bundle {
	t.Helper()
	p := New(o)
	s := simtest.Start(t, so, p)
	// The bundle's token never expires, so tests may move the clock freely.
	g := s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID, Subject: strconv.FormatInt(p.opts.PortalID, 10),
		Scopes: []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"}}, 0, true)
	return &bundle{s: s, p: p, token: g.AccessToken}
}

// issue mints a 30-minute token for portal, as HubSpot would.
func issue(s *simtest.Server, portal int64, scopes ...string) string {
	g := s.OAuth.Issue(sim.Grant{Provider: name, ClientID: sim.DefaultClient(name).ID,
		Subject: strconv.FormatInt(portal, 10), Scopes: scopes}, 30*time.Minute, true)
	return g.AccessToken
}

// do sends a request with token (token "" sends none).
func (b *bundle) do(t testing.TB, method, path, token string, body any) simtest.Response {
	t.Helper()
	return b.s.Call(t, method, path, body, simtest.Bearer(token))
}

func (b *bundle) api(t testing.TB, method, path string, body any) simtest.Response {
	t.Helper()
	return b.do(t, method, path, b.token, body)
}

// control posts to a control endpoint and decodes the answer into out.
func (b *bundle) control(t testing.TB, path string, body, out any) {
	t.Helper()
	res := b.s.Call(t, http.MethodPost, "/_control/hubspot/"+path, body).Want(t, http.StatusOK, "control "+path)
	if out != nil {
		res.Decode(t, out)
	}
}

type contactOut struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
}

func (c contactOut) prop(name string) string {
	if v := c.Properties[name]; v != nil {
		return *v
	}
	return ""
}

type pageOut struct {
	Total   int          `json:"total"`
	Results []contactOut `json:"results"`
	Paging  *struct {
		Next struct {
			After string `json:"after"`
			Link  string `json:"link"`
		} `json:"next"`
	} `json:"paging"`
}

func (p pageOut) after() string {
	if p.Paging == nil {
		return ""
	}
	return p.Paging.Next.After
}

type errorOut struct {
	Status     string `json:"status"`
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
	Correlate  string `json:"correlationId"`
}

// listAll walks the list endpoint with the given extra query and returns
// every contact.
func (b *bundle) listAll(t testing.TB, query string) []contactOut {
	t.Helper()
	var all []contactOut
	after := ""
	for {
		path := "/hubspot/crm/v3/objects/contacts?limit=100" + query
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		res := b.api(t, http.MethodGet, path, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
		var page pageOut
		res.Decode(t, &page)
		all = append(all, page.Results...)
		if after = page.after(); after == "" {
			return all
		}
	}
}

// searchAll pages through a search (rate limits must be off).
func (b *bundle) searchAll(t testing.TB, body map[string]any) (int, []contactOut) {
	t.Helper()
	var all []contactOut
	total := -1
	for {
		res := b.api(t, http.MethodPost, "/hubspot/crm/v3/objects/contacts/search", body)
		if res.Status != http.StatusOK {
			t.Fatalf("search: %d %s", res.Status, res.Body)
		}
		var page pageOut
		res.Decode(t, &page)
		if total >= 0 && page.Total != total {
			t.Fatalf("total changed between pages: %d then %d", total, page.Total)
		}
		total = page.Total
		all = append(all, page.Results...)
		after := page.after()
		if after == "" {
			return total, all
		}
		next := map[string]any{}
		for k, v := range body {
			next[k] = v
		}
		next["after"] = after
		body = next
	}
}

func gtFilter(prop, op string, value any) map[string]any {
	return map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
		map[string]any{"propertyName": prop, "operator": op, "value": value}}}}}
}
