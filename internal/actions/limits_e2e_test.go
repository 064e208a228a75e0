package actions_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/store"
)

// overCaps tries each document cap from inside a function.
const overCaps = `import { createAction, ActionError } from 'nango';
import * as z from 'zod';
export default createAction({
  description: 'Goes over the document caps',
  version: '1',
  input: z.object({ what: z.string() }),
  output: z.any(),
  exec: async (nango, { what }) => {
    const attempt = async (metadata) => {
      try { await nango.setMetadata(metadata); return { stored: true }; }
      catch (e) { return { stored: false, code: e.code, message: e.message }; }
    };
    if (what === 'metadata') return await attempt({ big: 'x'.repeat(1024 * 1024 + 1) });
    if (what === 'merge') {
      await nango.setMetadata({ a: 'x'.repeat(600 * 1024) });
      try { await nango.updateMetadata({ b: 'x'.repeat(600 * 1024) }); return { stored: true }; }
      catch (e) { return { stored: false, code: e.code, message: e.message }; }
    }
    if (what === 'nul') return await attempt({ a: 'x\u0000y' });
    if (what === 'error') throw new ActionError({ message: 'x'.repeat(1024 * 1024), detail: 'kept only if it fits' });
    if (what === 'output') return { big: 'x'.repeat(2 * 1024 * 1024) };
    return {};
  },
});
`

// TestDocumentCapsFromFunctions: a function meets the caps the API has,
// with a clear error, and an oversized failure or output does not become
// an oversized response.
func TestDocumentCapsFromFunctions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, apptest.SQLite, nil)
	w.deploy(map[string]string{"github/actions/over-caps.ts": overCaps})
	for _, tt := range []struct{ what, code, mentions string }{
		{"metadata", "document_too_large", "1 MiB"},
		{"merge", "document_too_large", "1 MiB"},
		{"nul", "invalid_document", "NUL"},
	} {
		res := w.trigger("gh-1", "over-caps", map[string]string{"what": tt.what}, nil)
		got := res.json(t)
		if res.status != http.StatusOK || got["stored"] != false || got["code"] != tt.code || !strings.Contains(got["message"].(string), tt.mentions) {
			t.Errorf("setMetadata (%s): %d %.300s; want it refused with %s mentioning %q", tt.what, res.status, res.body, tt.code, tt.mentions)
		}
	}
	conn := w.call("GET", "/connections/gh-1?provider_config_key=github", nil, nil, http.StatusOK).json(t)
	if md := conn["metadata"].(map[string]any); md["big"] != nil || md["b"] != nil || len(md["a"].(string)) != 600*1024 {
		t.Errorf("metadata after the refused writes has keys %v; want only the first half of the merge", sortedKeysOf(md))
	}

	res := w.trigger("gh-1", "over-caps", map[string]string{"what": "error"}, nil)
	if res.status != http.StatusFailedDependency || len(res.body) > store.DocActionError.Max+1024 {
		t.Fatalf("a 1 MiB ActionError: %d, %d bytes; want a 424 under %d bytes", res.status, len(res.body), store.DocActionError.Max)
	}
	if e := res.json(t)["error"].(map[string]any); !strings.Contains(e["message"].(string), "truncated from 1048576 bytes") ||
		!strings.Contains(e["message"].(string), "payload of") || e["payload"] != nil {
		t.Errorf("the capped ActionError: %.400s", res.body)
	}

	res = w.trigger("gh-1", "over-caps", map[string]string{"what": "output"}, nil)
	if res.status != http.StatusFailedDependency || !strings.Contains(string(res.body), "at most 2 MiB") || len(res.body) > 4096 {
		t.Errorf("a 2 MiB output: %d %.300s", res.status, res.body)
	}
	// The same through a recorded (idempotent) run, which stores it.
	res = w.trigger("gh-1", "over-caps", map[string]string{"what": "error"}, map[string]string{"Idempotency-Key": "k1"})
	if res.status != http.StatusFailedDependency || len(res.body) > store.DocActionError.Max+1024 {
		t.Fatalf("a recorded 1 MiB ActionError: %d, %d bytes", res.status, len(res.body))
	}
	// Had the store refused the failure, the run would still be running
	// and this would wait for it.
	if again := w.trigger("gh-1", "over-caps", map[string]string{"what": "error"}, map[string]string{"Idempotency-Key": "k1"}); again.status != http.StatusFailedDependency || string(again.body) != string(res.body) {
		t.Errorf("the stored failure was not replayed: %d %.200s", again.status, again.body)
	}
}

func sortedKeysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
