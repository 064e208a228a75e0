package connect_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
)

// TestServerConnectRoutes asks a real server for what
// @nangohq/frontend's openConnectUI loads: its baseURL with a slash
// appended and its options in the query. Both the server's root and the
// connect link's base must serve the Connect UI, not the API's 404.
func TestServerConnectRoutes(t *testing.T) {
	t.Parallel()
	pb := apptest.Start(t, apptest.Options{})
	for _, path := range []string{
		"/?apiURL=http%3A%2F%2F127.0.0.1%3A3003",
		"/connect/?apiURL=http%3A%2F%2F127.0.0.1%3A3003&lang=en",
		"/connect",
	} {
		req, err := http.NewRequest(http.MethodGet, pb.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-mode="shell"`) {
			t.Errorf("GET %s: %d, want the Connect UI's shell:\n%.300s", path, res.StatusCode, body)
		}
	}
	res, err := http.Get(pb.URL + "/connect/nothing")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /connect/nothing: %d, want 404", res.StatusCode)
	}
}
