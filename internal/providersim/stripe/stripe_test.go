package stripe

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	const liveKey = "sk_live_51SimulatorLiveKey"
	tests := []struct {
		name     string
		auth     simtest.Option
		status   int
		message  string // prefix of the error message
		livemode bool
	}{
		{"bearer default key", simtest.Bearer(DefaultKey), 200, "", false},
		{"basic with the key as username", basic(DefaultKey), 200, "", false},
		{"live key", simtest.Bearer(liveKey), 200, "", true},
		{"no credentials", nil, 401, "You did not provide an API key.", false},
		{"empty basic username", basic(""), 401, "You did not provide an API key.", false},
		{"other scheme", func(r *http.Request) { r.Header.Set("Authorization", "Token "+DefaultKey) }, 401, "You did not provide an API key.", false},
		{"unknown key", simtest.Bearer("sk_test_51Unknown000000000000abcd"), 401, "Invalid API Key provided: sk_test_*********************abcd", false},
		{"unknown key as basic", basic("rk_test_nope1234"), 401, "Invalid API Key provided: rk_test_****1234", false},
	}
	b := setup(t, sim.Options{}, Options{})
	b.addKey(t, map[string]any{"key": liveKey}, http.StatusCreated)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.s.Call(t, http.MethodGet, "/stripe/v1/balance", nil, tt.auth)
			if !strings.HasPrefix(res.Header.Get("Request-Id"), "req_") {
				t.Errorf("Request-Id %q", res.Header.Get("Request-Id"))
			}
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.status != 200 {
				var e stripeError
				res.Decode(t, &e)
				if e.Error.Type != "invalid_request_error" || !strings.HasPrefix(e.Error.Message, tt.message) {
					t.Errorf("error %+v, want message %q", e.Error, tt.message)
				}
				if res.Header.Get("WWW-Authenticate") != `Basic realm="Stripe"` {
					t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
				}
				return
			}
			var bal struct {
				Object    string `json:"object"`
				Livemode  bool   `json:"livemode"`
				Available []struct {
					Amount   int64  `json:"amount"`
					Currency string `json:"currency"`
				} `json:"available"`
			}
			res.Decode(t, &bal)
			if bal.Object != "balance" || bal.Livemode != tt.livemode || len(bal.Available) != 1 || bal.Available[0].Currency != "usd" {
				t.Errorf("balance %s", res.Body)
			}
		})
	}
}

func TestMaskKey(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"sk_test_abcdefgh1234": "sk_test_********1234",
		"rk_live_12345":        "rk_live_*2345",
		"sk_test_1234":         "sk_test_****",
		"nonsense99":           "******se99",
		"":                     "",
	}
	for in, want := range tests {
		if got := maskKey(in); got != want {
			t.Errorf("maskKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func (b *bundle) addKey(t testing.TB, body map[string]any, status int) map[string]string {
	t.Helper()
	res := b.s.Call(t, http.MethodPost, "/_control/stripe/keys", body)
	if res.Status != status {
		t.Fatalf("add key %v: %d %s", body, res.Status, res.Body)
	}
	var out map[string]string
	res.Decode(t, &out)
	return out
}

func TestControlKeys(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	balance := func(key string) int {
		return b.s.Call(t, http.MethodGet, "/stripe/v1/balance", nil, simtest.Bearer(key)).Status
	}

	added := b.addKey(t, map[string]any{"key": "sk_test_AddedKey1"}, http.StatusCreated)
	if added["key"] != "sk_test_AddedKey1" || added["account"] != DefaultAccount {
		t.Fatalf("added %v", added)
	}
	minted := b.addKey(t, nil, http.StatusCreated)["key"]
	if !keyPattern.MatchString(minted) || !strings.HasPrefix(minted, "sk_test_") {
		t.Fatalf("minted key %q", minted)
	}
	for _, bad := range []map[string]any{{"key": "pk_test_publishable"}, {"key": "sk_test_with_underscore"}, {"key": "sk_test_x", "account": "cus_1"}} {
		if res := b.addKey(t, bad, http.StatusBadRequest); res["error"] == "" {
			t.Errorf("%v: no error message", bad)
		}
	}
	if res := b.s.Call(t, http.MethodPost, "/_control/stripe/keys", "not an object"); res.Status != http.StatusBadRequest {
		t.Errorf("malformed body: %d", res.Status)
	}
	for _, key := range []string{DefaultKey, "sk_test_AddedKey1", minted} {
		if got := balance(key); got != 200 {
			t.Errorf("%s: %d", key, got)
		}
	}

	b.s.Call(t, http.MethodDelete, "/_control/stripe/keys/sk_test_AddedKey1", nil).Want(t, http.StatusNoContent, "revoke")
	b.s.Call(t, http.MethodDelete, "/_control/stripe/keys/sk_test_AddedKey1", nil).Want(t, http.StatusNotFound, "revoke twice")
	b.s.Call(t, http.MethodDelete, "/_control/stripe/keys/"+DefaultKey, nil).Want(t, http.StatusNoContent, "revoke default")
	if balance("sk_test_AddedKey1") != 401 || balance(DefaultKey) != 401 || balance(minted) != 200 {
		t.Fatal("revoked keys still work, or revoking one broke another")
	}

	b.s.Reset(0)
	if balance(DefaultKey) != 200 || balance(minted) != 401 {
		t.Fatal("reset must restore DefaultKey and forget added keys")
	}
}

func TestCustomersPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{Seed: 3}, Options{Customers: 23})
	var all []customerOut
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		path := "/stripe/v1/customers?limit=5"
		if after != "" {
			path += "&starting_after=" + after
		}
		res := b.get(t, path)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		var page listOut
		res.Decode(t, &page)
		if page.Object != "list" || page.URL != "/v1/customers" {
			t.Fatalf("list envelope %s", res.Body)
		}
		all = append(all, page.Data...)
		if !page.HasMore {
			if len(page.Data) != 3 {
				t.Errorf("last page has %d customers, want 3", len(page.Data))
			}
			break
		}
		after = page.Data[len(page.Data)-1].ID
	}
	if len(all) != 23 {
		t.Fatalf("%d customers, want 23", len(all))
	}
	ids := map[string]bool{}
	for i, c := range all {
		if ids[c.ID] || !strings.HasPrefix(c.ID, "cus_") || c.Object != "customer" || c.Email == "" {
			t.Fatalf("customer %d: %+v", i, c)
		}
		ids[c.ID] = true
		if i > 0 && c.Created >= all[i-1].Created {
			t.Fatalf("not newest first at %d", i)
		}
	}

	// ending_before pages backwards to the items just before the cursor.
	var back listOut
	b.get(t, "/stripe/v1/customers?limit=3&ending_before="+all[10].ID).Decode(t, &back)
	if !back.HasMore || len(back.Data) != 3 || back.Data[0].ID != all[7].ID || back.Data[2].ID != all[9].ID {
		t.Errorf("ending_before page: %+v", back)
	}
	b.get(t, "/stripe/v1/customers?limit=3&ending_before="+all[2].ID).Decode(t, &back)
	if back.HasMore || len(back.Data) != 2 || back.Data[0].ID != all[0].ID {
		t.Errorf("first ending_before page: %+v", back)
	}

	var byEmail listOut
	b.get(t, "/stripe/v1/customers?email="+url.QueryEscape(all[4].Email)).Decode(t, &byEmail)
	if len(byEmail.Data) != 1 || byEmail.Data[0].ID != all[4].ID {
		t.Errorf("email filter: %+v", byEmail)
	}
	var one customerOut
	if res := b.get(t, "/stripe/v1/customers/"+all[6].ID); res.Status != 200 {
		t.Errorf("get customer: %d", res.Status)
	} else if res.Decode(t, &one); one != all[6] {
		t.Errorf("get customer %+v, listed %+v", one, all[6])
	}

	// Same seed, same data; another seed, other data.
	again := setup(t, sim.Options{Seed: 3}, Options{Customers: 23})
	other := setup(t, sim.Options{Seed: 4}, Options{Customers: 23})
	first := b.get(t, "/stripe/v1/customers?limit=100").Body
	if string(again.get(t, "/stripe/v1/customers?limit=100").Body) != string(first) {
		t.Error("the same seed gave other customers")
	}
	if string(other.get(t, "/stripe/v1/customers?limit=100").Body) == string(first) {
		t.Error("another seed gave the same customers")
	}
}

func TestCustomerErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	tests := []struct {
		path, param, code string
		status            int
	}{
		{"/stripe/v1/customers?limit=0", "limit", "", 400},
		{"/stripe/v1/customers?limit=101", "limit", "", 400},
		{"/stripe/v1/customers?limit=ten", "limit", "parameter_invalid_integer", 400},
		{"/stripe/v1/customers?starting_after=cus_missing", "starting_after", "resource_missing", 400},
		{"/stripe/v1/customers?ending_before=cus_missing", "ending_before", "resource_missing", 400},
		{"/stripe/v1/customers?starting_after=cus_a&ending_before=cus_b", "ending_before", "", 400},
		{"/stripe/v1/customers/cus_missing", "id", "resource_missing", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			res := b.get(t, tt.path)
			var e stripeError
			res.Decode(t, &e)
			if res.Status != tt.status || e.Error.Param != tt.param || e.Error.Code != tt.code || e.Error.Type != "invalid_request_error" {
				t.Errorf("%d %s", res.Status, res.Body)
			}
		})
	}
}

func TestAccountsAreSeparate(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	b.addKey(t, map[string]any{"key": "sk_test_OtherAccount1", "account": "acct_1Other"}, http.StatusCreated)
	var mine, theirs listOut
	b.get(t, "/stripe/v1/customers?limit=100").Decode(t, &mine)
	b.s.Call(t, http.MethodGet, "/stripe/v1/customers?limit=100", nil, simtest.Bearer("sk_test_OtherAccount1")).Decode(t, &theirs)
	if len(mine.Data) != 25 || len(theirs.Data) != 25 {
		t.Fatalf("%d and %d customers, want the default 25 each", len(mine.Data), len(theirs.Data))
	}
	if slices.ContainsFunc(theirs.Data, func(c customerOut) bool { return c.ID == mine.Data[0].ID }) {
		t.Error("two accounts share customers")
	}
}

func TestCatalogYAML(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Options{}, Options{})
	base := b.s.BaseURL()
	p := simtest.Entry(t, b.p, base, "stripe-api-key")
	if p.AuthMode != "API_KEY" {
		t.Fatalf("entry %+v", p)
	}
	if p.Proxy.BaseURL != base+"/stripe" || p.Proxy.Headers["authorization"] != "Bearer ${apiKey}" ||
		p.Proxy.Verification == nil || !slices.Equal(p.Proxy.Verification.Endpoints, []string{"/v1/balance"}) {
		t.Errorf("proxy %+v", p.Proxy)
	}
	if f := p.Credentials["apiKey"]; !f.Secret || f.Example != DefaultKey || !keyPattern.MatchString(f.Example) {
		t.Errorf("apiKey field %+v", f)
	}
	// The verification request Patchbay sends passes with DefaultKey.
	if res := b.get(t, "/stripe"+p.Proxy.Verification.Endpoints[0]); res.Status != 200 {
		t.Errorf("verification: %d", res.Status)
	}
}
