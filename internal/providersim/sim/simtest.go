package sim

import (
	"net/http/httptest"
	"testing"
)

// ServeTest starts a server with the given providers on a loopback port and
// closes it when t ends. Provider packages test themselves with it.
func ServeTest(t testing.TB, opts Options, providers ...Provider) *Server {
	t.Helper()
	s := New(opts, providers...)
	ts := httptest.NewServer(s)
	s.SetBaseURL(ts.URL)
	t.Cleanup(func() {
		ts.Close()
		s.Webhooks().Wait()
	})
	return s
}
