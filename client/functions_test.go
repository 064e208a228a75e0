package client_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/client"
)

// functionsServer answers one canned response and keeps the request.
func functionsServer(t *testing.T, status int, body string) (*client.Client, *http.Request, *[]byte) {
	t.Helper()
	var got http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return client.New(srv.URL, "secret-key"), &got, &gotBody
}

func TestDeployFunctions(t *testing.T) {
	t.Parallel()
	c, req, body := functionsServer(t, 200, `{"deployed":[{"integration":"github","name":"create-issue","type":"action","version":"1.0.0","source_hash":"abc","changed":true}]}`)
	res, err := c.DeployFunctions(t.Context(), map[string]string{"github/actions/create-issue.ts": "export default 1"}, []string{"github/create-issue"})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.Path != "/functions/deploy" || req.Header.Get("Authorization") != "Bearer secret-key" {
		t.Fatalf("request %s %s auth %q", req.Method, req.URL.Path, req.Header.Get("Authorization"))
	}
	if string(*body) != `{"files":{"github/actions/create-issue.ts":"export default 1"},"functions":["github/create-issue"]}` {
		t.Fatalf("body = %s", *body)
	}
	if len(res.Deployed) != 1 || res.Deployed[0] != (client.DeployedFunction{Integration: "github", Name: "create-issue", Type: "action", Version: "1.0.0", SourceHash: "abc", Changed: true}) {
		t.Fatalf("result = %+v", res)
	}

	// No functions named: the field is left out (all functions).
	c, _, body = functionsServer(t, 200, `{"deployed":[]}`)
	if _, err := c.DeployFunctions(t.Context(), map[string]string{}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(*body), "functions") {
		t.Fatalf("body = %s", *body)
	}
}

func TestFunctionsErrors(t *testing.T) {
	t.Parallel()
	c, _, _ := functionsServer(t, 400, `{"error":{"code":"compile_error","message":"1 error","positions":[{"file":"github/actions/a.ts","line":3,"column":7,"message":"Expected \";\"","line_text":"const x y"}]}}`)
	_, err := c.DeployFunctions(t.Context(), map[string]string{}, nil)
	var ce *client.CompileError
	if !errors.As(err, &ce) || len(ce.Errors) != 1 {
		t.Fatalf("err = %v", err)
	}
	if p := ce.Errors[0]; p.String() != `github/actions/a.ts:3:7: Expected ";"` || p.LineText != "const x y" {
		t.Fatalf("position = %+v", p)
	}
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "compile_error" {
		t.Fatalf("the *Error under it = %+v", apiErr)
	}
	if !strings.Contains(err.Error(), "github/actions/a.ts:3:7") {
		t.Fatalf("message %q", err)
	}

	c, _, _ = functionsServer(t, 401, `{"error":{"code":"unauthorized","message":"bad key"}}`)
	_, err = c.DryrunFunction(t.Context(), client.DryrunRequest{Function: "github/issues", ConnectionID: "c"})
	if !errors.As(err, &apiErr) || apiErr.Code != "unauthorized" || errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
}

func TestDryrunFunction(t *testing.T) {
	t.Parallel()
	c, req, body := functionsServer(t, 200, `{
	  "output": null,
	  "error": {"type": "script_error", "message": "Error: boom", "payload": {"name": "Error"}},
	  "logs": [{"time": "2024-01-01T00:00:00Z", "level": "warn", "message": "careful"}],
	  "records": [{"op": "batchSave", "model": "GithubIssue", "records": [{"id": "1"}]}],
	  "checkpoints": [{"updated_after": "2024-01-01T00:00:00Z"}, null],
	  "calls": [{"method": "GET", "endpoint": "/x", "params": {"a": "1"}, "status": 200, "response": [1], "response_headers": {"link": "<…>"}}],
	  "duration_ms": 12.5
	}`)
	res, err := c.DryrunFunction(t.Context(), client.DryrunRequest{
		Files: map[string]string{"a.ts": "x"}, Function: "github/issues", Integration: "github-app", ConnectionID: "conn",
		Input: json.RawMessage(`{"a":1}`), Metadata: map[string]any{"owner": "o"}, Checkpoint: map[string]any{"c": "1"},
		LastSyncDate: "2024-01-01T00:00:00Z", SaveResponses: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.Path != "/functions/dryrun" || req.Header.Get("Authorization") != "Bearer secret-key" {
		t.Fatalf("request %s", req.URL.Path)
	}
	var sent map[string]any
	if err := json.Unmarshal(*body, &sent); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"function": "github/issues", "integration": "github-app", "connection_id": "conn", "last_sync_date": "2024-01-01T00:00:00Z"} {
		if sent[k] != want {
			t.Errorf("%s = %v, want %s", k, sent[k], want)
		}
	}
	if sent["save_responses"] != true || sent["input"].(map[string]any)["a"] != float64(1) || sent["metadata"].(map[string]any)["owner"] != "o" || sent["checkpoint"] == nil {
		t.Fatalf("body = %s", *body)
	}
	if res.Error == nil || res.Error.Type != "script_error" || len(res.Logs) != 1 || res.Logs[0].Level != "warn" ||
		len(res.Records) != 1 || res.Records[0].Model != "GithubIssue" || len(res.Checkpoints) != 2 || res.Checkpoints[1] != nil ||
		len(res.Calls) != 1 || res.Calls[0].Params["a"] != "1" || res.Calls[0].ResponseHeaders["link"] != "<…>" || res.DurationMs != 12.5 {
		t.Fatalf("response = %+v", res)
	}

	if _, err := c.DryrunFunction(t.Context(), client.DryrunRequest{Function: "x"}); err == nil {
		t.Fatal("a dry run without a connection id was sent")
	}
}
