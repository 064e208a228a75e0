package functions

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestActionValidation(t *testing.T) {
	t.Parallel()
	// The input's keys out of the schema's order, plus one it does not
	// declare; exec returns them and, with bad set, an output that fails
	// its schema.
	src := `
import { createAction } from 'nango';
import { z } from 'zod';
export default createAction({
  input: z.object({ b: z.string(), a: z.number(), bad: z.boolean().optional() }),
  output: z.object({ keys: z.array(z.string()) }),
  exec: async (nango, input) => ({ keys: input.bad ? [1] : Object.keys(input) }),
});`
	b := compileOne(t, map[string]string{"github/actions/a.ts": src}, "github/actions/a.ts")
	cases := []struct {
		name       string
		validation Validation
		input      string
		want       string // the output, or the failure's type
		wantWarn   bool
	}{
		{"the raw input reaches exec, not zod's copy", Validation{}, `{"a":1,"extra":true,"b":"x"}`, `{"keys":["a","extra","b"]}`, false},
		{"an invalid input is refused", Validation{}, `{"a":"one","b":"x"}`, "invalid_input", false},
		{"an invalid output is a warning by default", Validation{}, `{"a":1,"b":"x","bad":true}`, `{"keys":[1]}`, true},
		{"an invalid output fails when enforced", Validation{Output: OutputEnforce}, `{"a":1,"b":"x","bad":true}`, "invalid_output", false},
		{"neither checked in tests", Unvalidated, `{"a":"one","bad":true}`, `{"keys":[1]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHost{}
			out, err := NewRuntime().Run(context.Background(), &Execution{
				Bundle: b, Kind: KindAction, Input: json.RawMessage(c.input), Host: h, Validation: c.validation,
				Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"},
			})
			var f *Failure
			switch {
			case errors.As(err, &f):
				if f.Type != c.want {
					t.Fatalf("failure %s: %s, want %s", f.Type, f.Message, c.want)
				}
			case err != nil:
				t.Fatal(err)
			case string(out) != c.want:
				t.Fatalf("output %s, want %s", out, c.want)
			}
			h.mu.Lock()
			warned := strings.Contains(strings.Join(h.logs, "\n"), "Invalid action output")
			h.mu.Unlock()
			if warned != c.wantWarn {
				t.Fatalf("logs %q, want a warning: %v", h.logs, c.wantWarn)
			}
		})
	}
}
