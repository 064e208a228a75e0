package functions

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The runtime surface Nango's templates use beyond createAction/createSync:
// each case is a small action of ours driven through the runtime.

func TestZodValidateInput(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	const schema = `const Input = z.object({ id: z.string(), n: z.number().optional() });`
	cases := []struct {
		name, body, input string
		want              string   // output JSON, when the run succeeds
		failure           string   // failure type, when it does not
		logs              []string // the lines logged
	}{
		{
			name:  "valid input: the safeParse result, parsed",
			body:  `return await nango.zodValidateInput({ zodSchema: Input, input });`,
			input: `{"id":"a","extra":1}`,
			want:  `{"success":true,"data":{"id":"a"}}`,
		},
		{
			name:    "invalid input: each issue logged, an ActionError thrown",
			body:    `return await nango.zodValidateInput({ zodSchema: Input, input });`,
			input:   `{"n":"x"}`,
			failure: "action_error",
			logs: []string{
				"error Invalid input provided: Invalid input: expected string, received undefined at path id",
				"error Invalid input provided: Invalid input: expected number, received string at path n",
			},
		},
		{
			name:  "the ActionError's payload",
			body:  `try { await nango.zodValidateInput({ zodSchema: Input, input: 1 }); } catch (e) { return [e instanceof nango.ActionError, e.payload]; }`,
			input: `{}`,
			want:  `[true,{"message":"Invalid input provided"}]`,
			logs:  []string{"error Invalid input provided: Invalid input: expected object, received number at path "},
		},
		{
			name:  "a schema that is not one",
			body:  `try { await nango.zodValidateInput({ zodSchema: {}, input }); } catch (e) { return e.message; }`,
			input: `{}`,
			want:  `"zodValidateInput: zodSchema must be a zod schema"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHost{}
			src := "import { createAction } from 'nango';\nimport * as z from 'zod';\n" + schema +
				"\nexport default createAction({ exec: async (nango, input) => {\n" + c.body + "\n} });"
			out, err := runAction(t, rt, src, c.input, h, Limits{})
			if c.failure != "" {
				var f *Failure
				if !errors.As(err, &f) || f.Type != c.failure {
					t.Fatalf("err = %v, want a %s failure", err, c.failure)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if string(out) != c.want {
				t.Errorf("out = %s, want %s", out, c.want)
			}
			if !slices.Equal(h.logs, c.logs) {
				t.Errorf("logs = %q\nwant   %q", h.logs, c.logs)
			}
		})
	}
}

// surfaceRun runs body as an action's exec and returns its output.
func surfaceRun(t *testing.T, rt *Runtime, h *fakeHost, imports, body string) string {
	t.Helper()
	src := "import { createAction } from 'nango';\n" + imports + "\nexport default createAction({ exec: async (nango, input) => {\n" + body + "\n} });"
	out, err := runAction(t, rt, src, `{}`, h, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
