package stripe

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// account is one Stripe account's generated data.
type account struct {
	id        string
	available int64 // cents
	pending   int64
	customers []customer // oldest first; the API lists newest first
	byID      map[string]int
}

type customer struct {
	id, name, email, invoicePrefix string
	created                        int64
}

var (
	firstNames = []string{"Jenny", "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia"}
	lastNames  = []string{"Rosen", "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman"}
)

// epoch is when the generated customers start; fixed so the same seed gives
// the same created timestamps whatever the date.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// newAccount generates an account's data from the seed.
func (p *Provider) newAccount(id string) *account {
	rng := p.s.Rand("stripe/" + id + "/balance")
	a := &account{
		id:        id,
		available: rng.Int64N(5_000_000),
		pending:   rng.Int64N(500_000),
		customers: make([]customer, p.opts.Customers),
		byID:      make(map[string]int, p.opts.Customers),
	}
	for i := range a.customers {
		c := p.generate(id, i)
		a.customers[i] = c
		a.byID[c.id] = i
	}
	return a
}

// generate makes customer i of an account; created grows with i, so the
// index order is the creation order.
func (p *Provider) generate(acct string, i int) customer {
	rng := p.s.ItemRand("stripe/"+acct+"/customers", i)
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	return customer{
		id:            "cus_" + alnum(rng, 14),
		name:          first + " " + last,
		email:         fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i),
		invoicePrefix: strings.ToUpper(alnum(rng, 8)),
		created:       epoch + int64(i)*5*3600 + rng.Int64N(3600),
	}
}

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func alnum(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (c customer) render(livemode bool) map[string]any {
	return map[string]any{
		"id":                    c.id,
		"object":                "customer",
		"address":               nil,
		"balance":               0,
		"created":               c.created,
		"currency":              nil,
		"default_source":        nil,
		"delinquent":            false,
		"description":           nil,
		"discount":              nil,
		"email":                 c.email,
		"invoice_prefix":        c.invoicePrefix,
		"invoice_settings":      map[string]any{"custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil},
		"livemode":              livemode,
		"metadata":              map[string]string{},
		"name":                  c.name,
		"next_invoice_sequence": 1,
		"phone":                 nil,
		"preferred_locales":     []string{},
		"shipping":              nil,
		"tax_exempt":            "none",
		"test_clock":            nil,
	}
}

// balance serves GET /v1/balance.
func (p *Provider) balance(w http.ResponseWriter, _ *http.Request, c call) {
	a := p.accounts.Get(c.account)
	amounts := func(n int64) []map[string]any {
		return []map[string]any{{"amount": n, "currency": "usd", "source_types": map[string]int64{"card": n}}}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"object":           "balance",
		"available":        amounts(a.available),
		"connect_reserved": []map[string]any{{"amount": 0, "currency": "usd"}},
		"livemode":         c.livemode,
		"pending":          amounts(a.pending),
	})
}

// listCustomers serves GET /v1/customers: newest first, cursor-paged by
// starting_after or ending_before.
func (p *Provider) listCustomers(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			paramError(w, http.StatusBadRequest, "parameter_invalid_integer", "limit", "Invalid integer: "+v)
			return
		case n < 1:
			paramError(w, http.StatusBadRequest, "", "limit", "This value must be greater than or equal to 1.")
			return
		case n > 100:
			paramError(w, http.StatusBadRequest, "", "limit", "This value must be less than or equal to 100.")
			return
		}
		limit = n
	}
	a := p.accounts.Get(c.account)
	// Newest first: list position k is customer index len-1-k.
	var list []customer
	email := q.Get("email")
	for i := len(a.customers) - 1; i >= 0; i-- {
		if email == "" || strings.EqualFold(a.customers[i].email, email) {
			list = append(list, a.customers[i])
		}
	}
	after, before := q.Get("starting_after"), q.Get("ending_before")
	if after != "" && before != "" {
		paramError(w, http.StatusBadRequest, "", "ending_before", "You may only specify one of these parameters: ending_before, starting_after.")
		return
	}
	start, end := 0, len(list)
	for _, cursor := range []struct{ param, id string }{{"starting_after", after}, {"ending_before", before}} {
		if cursor.id == "" {
			continue
		}
		pos := position(list, cursor.id)
		if pos < 0 {
			paramError(w, http.StatusBadRequest, "resource_missing", cursor.param, fmt.Sprintf("No such customer: '%s'", cursor.id))
			return
		}
		if cursor.param == "starting_after" {
			start = pos + 1
		} else {
			end = pos
		}
	}
	// ending_before pages backwards: the page is the limit items just
	// before the cursor, still in newest-first order.
	hasMore := false
	if before != "" {
		if end-start > limit {
			start, hasMore = end-limit, true
		}
	} else if end-start > limit {
		end, hasMore = start+limit, true
	}
	data := make([]map[string]any, 0, end-start)
	for _, cu := range list[start:end] {
		data = append(data, cu.render(c.livemode))
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "url": "/v1/customers", "has_more": hasMore, "data": data})
}

func position(list []customer, id string) int {
	for i, c := range list {
		if c.id == id {
			return i
		}
	}
	return -1
}

// getCustomer serves GET /v1/customers/{id}.
func (p *Provider) getCustomer(w http.ResponseWriter, r *http.Request, c call) {
	a := p.accounts.Get(c.account)
	id := r.PathValue("id")
	i, ok := a.byID[id]
	if !ok {
		paramError(w, http.StatusNotFound, "resource_missing", "id", fmt.Sprintf("No such customer: '%s'", id))
		return
	}
	sim.WriteJSON(w, http.StatusOK, a.customers[i].render(c.livemode))
}
