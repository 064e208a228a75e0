package simtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// echo answers what it was sent, and redirects /echo/redirect.
type echo struct{}

func (echo) Name() string { return "echo" }
func (echo) Reset()       {}

func (echo) Mount(_ *sim.Server, mux *http.ServeMux) {
	mux.HandleFunc("/echo/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo/", http.StatusFound)
	})
	mux.HandleFunc("/echo/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sim.WriteJSON(w, http.StatusOK, map[string]string{
			"method": r.Method, "path": r.URL.Path, "content_type": r.Header.Get("Content-Type"),
			"authorization": r.Header.Get("Authorization"), "x": r.Header.Get("X-Test"), "body": string(body),
		})
	})
}

func (echo) CatalogYAML(baseURL string) string {
	return fmt.Sprintf(`echo:
    display_name: Echo
    auth_mode: API_KEY
    proxy:
        base_url: %s/echo
        headers:
            authorization: Bearer ${apiKey}
    credentials:
        apiKey:
            type: string
            secret: true
`, baseURL)
}

func TestCall(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Options{}, echo{})
	tests := []struct {
		name string
		body any
		opts []simtest.Option
		want map[string]string
	}{
		{"no body", nil, nil, map[string]string{"content_type": "", "body": "", "authorization": ""}},
		{"JSON body", map[string]int{"a": 1}, nil, map[string]string{"content_type": "application/json", "body": `{"a":1}`}},
		{"typed nil is JSON null", map[string]int(nil), nil, map[string]string{"content_type": "application/json", "body": "null"}},
		{"form body", url.Values{"a": {"1 2"}}, nil, map[string]string{"content_type": "application/x-www-form-urlencoded", "body": "a=1+2"}},
		{"bearer", nil, []simtest.Option{simtest.Bearer("tok")}, map[string]string{"authorization": "Bearer tok"}},
		{"empty bearer sends none", nil, []simtest.Option{simtest.Bearer("")}, map[string]string{"authorization": ""}},
		{"basic", nil, []simtest.Option{simtest.Basic("u", "p")}, map[string]string{"authorization": "Basic dTpw"}},
		{"authorization", nil, []simtest.Option{simtest.Authorization("Ghost x")}, map[string]string{"authorization": "Ghost x"}},
		{"header replaces the content type", map[string]int{}, []simtest.Option{simtest.Header("Content-Type", "application/json; charset=utf-8"), simtest.Header("X-Test", "1")},
			map[string]string{"content_type": "application/json; charset=utf-8", "x": "1"}},
		{"nil option", nil, []simtest.Option{nil}, map[string]string{"authorization": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got map[string]string
			s.Call(t, http.MethodPost, "/echo/x", tt.body, tt.opts...).Want(t, http.StatusOK, "echo").Decode(t, &got)
			if got["method"] != http.MethodPost || got["path"] != "/echo/x" {
				t.Errorf("sent %v", got)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestCallAbsoluteURLAndRedirects(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, sim.Options{}, echo{})
	if res := s.Call(t, http.MethodGet, s.BaseURL()+"/echo/abs", nil); res.Status != http.StatusOK || !strings.Contains(res.Text(), `"/echo/abs"`) {
		t.Errorf("absolute URL: %d %s", res.Status, res.Body)
	}
	res := s.Call(t, http.MethodGet, "/echo/redirect", nil)
	if res.Status != http.StatusFound || res.Header.Get("Location") != "/echo/" {
		t.Errorf("redirect followed or lost: %d %v", res.Status, res.Header)
	}
}

func TestResponseForm(t *testing.T) {
	t.Parallel()
	res := simtest.Response{Status: http.StatusOK, Body: []byte("a=1&b=x+y")}
	if f := res.Form(t); f.Get("a") != "1" || f.Get("b") != "x y" {
		t.Errorf("form %v", f)
	}
}

// fatalTB records the first fatal message and stops the goroutine, as
// testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs f with a fatalTB and returns its fatal message ("" if none).
func fails(t *testing.T, f func(tb testing.TB)) string {
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
	return tb.msg
}

func TestFailures(t *testing.T) {
	t.Parallel()
	res := simtest.Response{Status: http.StatusTeapot, Body: []byte(`{"error":"short"}`)}
	if msg := fails(t, func(tb testing.TB) { res.Want(tb, http.StatusOK, "brew") }); msg != `brew: status 418, want 200: {"error":"short"}` {
		t.Errorf("Want: %q", msg)
	}
	if msg := fails(t, func(tb testing.TB) { res.Want(tb, http.StatusTeapot, "brew") }); msg != "" {
		t.Errorf("Want of the right status failed: %q", msg)
	}
	if msg := fails(t, func(tb testing.TB) { simtest.Response{Body: []byte("nope")}.Decode(tb, &struct{}{}) }); !strings.HasPrefix(msg, "decode nope: ") {
		t.Errorf("Decode: %q", msg)
	}
	if msg := fails(t, func(tb testing.TB) { simtest.Response{Body: []byte("%zz")}.Form(tb) }); !strings.HasPrefix(msg, `form body "%zz": `) {
		t.Errorf("Form: %q", msg)
	}
	if msg := fails(t, func(tb testing.TB) { simtest.Entry(tb, echo{}, "http://sim.test", "missing") }); msg != "missing entry missing or unsupported: <nil>" {
		t.Errorf("Entry: %q", msg)
	}
}

func TestEntry(t *testing.T) {
	t.Parallel()
	e := simtest.Entry(t, echo{}, "http://sim.test", "echo")
	if e.AuthMode != "API_KEY" || e.Proxy.BaseURL != "http://sim.test/echo" {
		t.Errorf("entry %+v", e)
	}
	if all := simtest.Catalog(t, echo{}, "http://sim.test"); len(all) != 1 {
		t.Errorf("catalog %v", all)
	}
}
