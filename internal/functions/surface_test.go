package functions

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
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

func TestZodTemplateGaps(t *testing.T) {
	t.Parallel()
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		// .e164(), z.e164(): zod's pattern, which JSON Schema gets beside the format
		{"e164 accepts", `z.string().e164().parse('+15551234567')`, `"+15551234567"`},
		{"e164 refuses", `issues(z.e164(), '5551234567')`,
			`[{"code":"invalid_format","origin":"string","format":"e164","pattern":"/^\\+(?:[0-9]){6,14}[0-9]$/","path":[],"message":"Invalid E.164 number"}]`},
		{"e164 too short", `codes(z.string().e164(), '+12345')`, `[{"code":"invalid_format","path":[]}]`},
		{"e164 JSON Schema", `js(z.string().e164())`, `{"type":"string","format":"e164","pattern":"^\\+(?:[0-9]){6,14}[0-9]$"}`},
		// .uuidv4() and friends: the version digit is checked; the format stays uuid
		{"uuidv4 accepts", `z.string().uuidv4().parse('9b2f4c1e-3a5d-4e6f-8a7b-1c2d3e4f5a6b')`, `"9b2f4c1e-3a5d-4e6f-8a7b-1c2d3e4f5a6b"`},
		{"uuidv4 refuses v7", `codes(z.uuidv4(), '0190a6b2-3a5d-7e6f-8a7b-1c2d3e4f5a6b')`, `[{"code":"invalid_format","path":[]}]`},
		{"uuidv7 accepts v7", `z.uuidv7().safeParse('0190a6b2-3a5d-7e6f-8a7b-1c2d3e4f5a6b').success`, `true`},
		{"uuidv4 JSON Schema", `js(z.string().uuidv4())`, `{"type":"string","format":"uuid"}`},
		{"uuidv4 message", `z.uuidv4().safeParse('x').error.issues[0].message`, `"Invalid UUID"`},
		// .check(z.describe()) and other checks
		{"check describe", `z.string().check(z.describe('The id')).description`, `"The id"`},
		{"check describe JSON Schema", `js(z.object({ a: z.string().optional().check(z.describe('A')), n: z.number().check(z.describe('N')) }))`,
			`{"type":"object","properties":{"a":{"type":"string","description":"A"},"n":{"type":"number","description":"N"}},"required":["n"],"additionalProperties":false}`},
		{"check describe keeps parsing", `z.object({ a: z.string().optional().check(z.describe('A')) }).parse({})`, `{}`},
		{"check meta", `js(z.string().check(z.meta({ title: 'T', examples: ['x'] })))`, `{"type":"string","title":"T","examples":["x"]}`},
		{"check refine", `codes(z.number().check(z.refine((n) => n > 0, 'positive')), -1)`, `[{"code":"custom","path":[]}]`},
		{"check refine message", `z.number().check(z.refine((n) => n > 0, 'positive')).safeParse(-1).error.issues[0].message`, `"positive"`},
		{"check function pushes issues", `issues(z.string().check((ctx) => { if (ctx.value.length < 3) ctx.issues.push({ code: 'custom', message: 'short', input: ctx.value }); }), 'ab')`,
			`[{"code":"custom","path":[],"message":"short"}]`},
		{"check function passes", `z.string().check((ctx) => {}).parse('abc')`, `"abc"`},
		{"check nested path", `codes(z.object({ s: z.string().check((ctx) => { ctx.issues.push({ code: 'custom', message: 'no' }); }) }), { s: 'x' })`,
			`[{"code":"custom","path":["s"]}]`},
		{"check refuses others", `(() => { try { z.string().check(1); return 'no error'; } catch (e) { return e.name; } })()`, `"TypeError"`},
		// top-level parse functions
		{"z.parse", `z.parse(z.object({ a: z.string() }), { a: 'x', b: 1 })`, `{"a":"x"}`},
		{"z.parse throws", `(() => { try { z.parse(z.string(), 1); return 'no error'; } catch (e) { return e instanceof z.ZodError; } })()`, `true`},
		{"z.safeParse", `z.safeParse(z.object({ data: z.number() }), { data: 'x' }).success`, `false`},
		{"z.safeParse data", `z.safeParse(z.number(), 2)`, `{"success":true,"data":2}`},
		// z.function(): a schema that accepts functions
		{"function in an object", `typeof z.object({ getInput: z.function() }).parse({ getInput: () => 1 }).getInput`, `"function"`},
		{"function refuses others", `issues(z.object({ getInput: z.function() }), { getInput: 1 })`,
			`[{"code":"invalid_type","expected":"function","path":["getInput"],"message":"Invalid input: expected function, received number"}]`},
		{"function implement", `z.function({ input: [z.string()], output: z.number() }).implement((s) => s.length)('abc')`, `3`},
		{"function implement checks args", `(() => { try { z.function().input([z.string()]).implement((s) => s)(1); return 'no error'; } catch (e) { return e instanceof z.ZodError; } })()`, `true`},
		{"function parsed with input is wrapped", `z.function({ output: z.string() }).safeParse(() => 1).data === undefined`, `false`},
		{"function JSON Schema", `js(z.object({ f: z.function().optional() }))`, `{"type":"object","properties":{"f":{}},"additionalProperties":false}`},
		{"namespace exports", `['e164', 'uuidv4', 'uuidv6', 'uuidv7', 'function', 'describe', 'meta', 'refine', 'superRefine', 'parse', 'safeParse', 'parseAsync', 'safeParseAsync']
		  .filter((k) => typeof zNS[k] !== 'function' || zNS[k] !== z[k])`, `[]`},
	})
	if got := zodAwait(t, vm, `z.safeParseAsync(z.string(), 'x')`); got != `{"success":true,"data":"x"}` {
		t.Errorf("z.safeParseAsync = %s", got)
	}
}

// The modules Nango's CLI allows besides nango and zod (its
// allowedPackages), as templates import them.
func TestAllowedModules(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	cases := []struct {
		name, imports, body, want string
	}{
		{"url's URLSearchParams", `import { URLSearchParams } from 'url';`,
			`return new URLSearchParams({ a: '1', b: 'x y' }).toString();`, `"a=1&b=x+y"`},
		{"url is the global's", `import { URL as U, URLSearchParams as P } from 'node:url';`,
			`return [U === URL, P === URLSearchParams];`, `[true,true]`},
		{"fileURLToPath", `import { fileURLToPath } from 'url';`,
			`return [fileURLToPath('file:///tmp/a%20b/c.ts'), fileURLToPath(new URL('file://localhost/x'))];`, `["/tmp/a b/c.ts","/x"]`},
		{"fileURLToPath refuses others", `import url from 'url';`,
			`try { url.fileURLToPath('https://example.com/a'); return 'no error'; } catch (e) { return e.message; }`, `"The URL must be of scheme file"`},
		{"pathToFileURL", `import { pathToFileURL } from 'url';`,
			`return pathToFileURL('/tmp/a b/100%.ts').href;`, `"file:///tmp/a%20b/100%25.ts"`},
		{"format", `import { format } from 'url';`,
			`return format(new URL('https://EXAMPLE.com/a?b=1'));`, `"https://example.com/a?b=1"`},
		{"nango/experimental createFunction", `import { createFunction } from 'nango/experimental';`,
			`const f = createFunction({ description: 'd', requires: { outbound: false }, exec: async () => 1 }); return [f.type, f.capabilities];`,
			`["function",{"usesRecords":false,"usesCheckpoints":false,"usesMetadata":false,"usesOutbound":false,"usesInvoke":false}]`},
		{"zod's new names through the shim", `import { z } from 'zod'; import * as zz from 'zod';`,
			`return [z.e164().safeParse('+15551234567').success, typeof zz.function, zz.parse(zz.string(), 'x')];`, `[true,"function","x"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := surfaceRun(t, rt, &fakeHost{}, c.imports, c.body); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// listingHost is a fakeHost that stores records: pages by cursor.
type listingHost struct {
	*fakeHost
	pages   map[string]*RecordsPage
	cursors []string
}

func (h *listingHost) ListRecords(_ context.Context, model, cursor string) (*RecordsPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cursors = append(h.cursors, model+"@"+cursor)
	if model == "Refused" {
		return nil, ErrNotInSync
	}
	return h.pages[cursor], nil
}

func TestListRecords(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	pages := map[string]*RecordsPage{
		"":   {Records: []json.RawMessage{json.RawMessage(`{"id":"1"}`), json.RawMessage(`{"id":"2"}`)}, NextCursor: "c2"},
		"c2": {Records: []json.RawMessage{json.RawMessage(`{"id":"3"}`)}},
		"c9": {},
	}
	cases := []struct {
		name    string
		host    Host
		call    string
		want    string   // what the sync logs: the ids listed, or the error
		cursors []string // the pages asked for
	}{
		{"every page", &listingHost{fakeHost: &fakeHost{}, pages: pages}, `nango.listRecords('Item')`, `info ["1","2","3"]`, []string{"Item@", "Item@c2"}},
		{"from a cursor", &listingHost{fakeHost: &fakeHost{}, pages: pages}, `nango.listRecords('Item', { cursor: 'c2' })`, `info ["3"]`, []string{"Item@c2"}},
		{"an empty page", &listingHost{fakeHost: &fakeHost{}, pages: pages}, `nango.listRecords('Item', { cursor: 'c9' })`, `info []`, []string{"Item@c9"}},
		{"a host that stores nothing", &fakeHost{}, `nango.listRecords('Item')`, `info []`, nil},
		{"a model the sync does not declare", &listingHost{fakeHost: &fakeHost{}, pages: pages}, `nango.listRecords('Other')`,
			`error listRecords: unknown model Other; the sync declares Item, Refused`, nil},
		{"the host's refusal", &listingHost{fakeHost: &fakeHost{}, pages: pages}, `nango.listRecords('Refused')`,
			`error this method is available in syncs only`, []string{"Refused@"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  frequency: 'every hour',
  models: { Item: z.object({ id: z.string() }), Refused: z.object({ id: z.string() }) },
  exec: async (nango) => {
    try {
      const ids = [];
      for await (const r of ` + c.call + `) ids.push(r.id);
      nango.log(JSON.stringify(ids));
    } catch (e) {
      nango.log(e.message, { level: 'error' });
    }
  },
});`
			b := compileOne(t, map[string]string{"github/syncs/s.ts": src}, "github/syncs/s.ts")
			_, err := rt.Run(context.Background(), &Execution{Bundle: b, Kind: KindSync, Host: c.host,
				Info: Info{Name: "s", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
			if err != nil {
				t.Fatal(err)
			}
			var logs []string
			var cursors []string
			switch h := c.host.(type) {
			case *listingHost:
				logs, cursors = h.logs, h.cursors
			case *fakeHost:
				logs = h.logs
			}
			if len(logs) != 1 || logs[0] != c.want {
				t.Errorf("logs = %q, want [%q]", logs, c.want)
			}
			if !slices.Equal(cursors, c.cursors) {
				t.Errorf("pages asked = %q, want %q", cursors, c.cursors)
			}
		})
	}
}

// fetchingHost is a fakeHost that answers nango.uncontrolledFetch.
type fetchingHost struct {
	*fakeHost
	fetched []*FetchRequest
	answer  *HTTPResponse
	err     error
}

func (h *fetchingHost) Fetch(_ context.Context, req *FetchRequest) (*HTTPResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fetched = append(h.fetched, req)
	return h.answer, h.err
}

func TestUncontrolledFetch(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	jsonAnswer := &HTTPResponse{Status: 201, Headers: map[string]string{"Content-Type": "application/json", "X-Id": "7"}, Body: []byte(`{"ok":true}`)}
	body := "a=1"
	cases := []struct {
		name string
		host *fetchingHost
		body string
		want string
		sent *FetchRequest // the request the host got, nil when none
	}{
		{"json answer", &fetchingHost{answer: jsonAnswer},
			`const r = await nango.uncontrolledFetch({ url: new URL('https://api.example.com/x?q=1'), method: 'post', headers: { 'Content-Type': 'text/plain', N: 1 }, body: 'a=1' });
			 return [r.ok, r.status, r.headers.get('x-id'), r.headers.get('content-type'), r.headers.get('missing'), r.url, await r.json(), r.bodyUsed];`,
			`[true,201,"7","application/json",null,"https://api.example.com/x?q=1",{"ok":true},true]`,
			&FetchRequest{URL: "https://api.example.com/x?q=1", Method: "POST", Headers: map[string]string{"Content-Type": "text/plain", "N": "1"}, Body: &body}},
		{"text, then read again", &fetchingHost{answer: &HTTPResponse{Status: 404, Body: []byte("nope")}},
			`const r = await nango.uncontrolledFetch({ url: 'https://api.example.com/' });
			 const c = r.clone();
			 const t = await r.text();
			 try { await r.text(); } catch (e) { return [r.ok, t, await c.text(), e.name]; }`,
			`[false,"nope","nope","TypeError"]`,
			&FetchRequest{URL: "https://api.example.com/", Method: "GET", Headers: map[string]string{}}},
		{"bytes", &fetchingHost{answer: &HTTPResponse{Status: 200, Body: []byte{0xff, 0, 1}}},
			`const r = await nango.uncontrolledFetch({ url: 'https://api.example.com/bin', body: null });
			 return Array.from(new Uint8Array(await r.arrayBuffer()));`,
			`[255,0,1]`,
			&FetchRequest{URL: "https://api.example.com/bin", Method: "GET", Headers: map[string]string{}}},
		{"the host's refusal", &fetchingHost{err: &HostError{Code: "url_not_allowed", Message: "refused"}},
			`try { await nango.uncontrolledFetch({ url: 'https://10.0.0.1/' }); } catch (e) { return [e.code, e.message]; }`,
			`["url_not_allowed","refused"]`,
			&FetchRequest{URL: "https://10.0.0.1/", Method: "GET", Headers: map[string]string{}}},
		{"not a URL", &fetchingHost{},
			`try { await nango.uncontrolledFetch({ url: 'file:///etc/passwd' }); } catch (e) { return e.code; }`,
			`"invalid_arguments"`, nil},
		{"a body that is not a string", &fetchingHost{},
			`try { await nango.uncontrolledFetch({ url: 'https://a.example/', body: { a: 1 } }); } catch (e) { return e.message; }`,
			`"uncontrolledFetch: body must be a string"`, nil},
		{"a host without it", nil,
			`try { await nango.uncontrolledFetch({ url: 'https://a.example/' }); } catch (e) { return e.code; }`,
			`"fetch_not_available"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var h Host = &fakeHost{} // nil host: one without Fetcher
			if c.host != nil {
				c.host.fakeHost = &fakeHost{}
				h = c.host
			}
			src := "import { createAction } from 'nango';\nexport default createAction({ exec: async (nango) => {\n" + c.body + "\n} });"
			out, err := runAction(t, rt, src, `{}`, h, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("out = %s\nwant  %s", out, c.want)
			}
			if c.host == nil {
				return
			}
			switch {
			case c.sent == nil && len(c.host.fetched) != 0:
				t.Errorf("sent %+v, want nothing", c.host.fetched[0])
			case c.sent != nil && (len(c.host.fetched) != 1 || !reflect.DeepEqual(c.host.fetched[0], c.sent)):
				t.Errorf("sent %+v, want %+v", c.host.fetched, c.sent)
			}
		})
	}
}

// A dry run passes uncontrolledFetch to the server's host and records it.
func TestCaptureFetch(t *testing.T) {
	t.Parallel()
	inner := &fetchingHost{fakeHost: &fakeHost{}, answer: &HTTPResponse{Status: 200, Body: []byte(`{"a":1}`)}}
	c := NewCapture(inner, nil, nil, true)
	if _, err := c.Fetch(t.Context(), &FetchRequest{URL: "https://a.example/x", Method: "GET"}); err != nil {
		t.Fatal(err)
	}
	calls := c.Result().Calls
	if len(calls) != 1 || calls[0].Endpoint != "https://a.example/x" || string(calls[0].Response) != `{"a":1}` {
		t.Fatalf("calls = %+v", calls)
	}
	if _, err := NewCapture(&fakeHost{}, nil, nil, true).Fetch(t.Context(), &FetchRequest{URL: "https://a.example/"}); !errors.Is(err, ErrFetchNotAvailable) {
		t.Fatalf("err = %v", err)
	}
}

// zipOf is an archive of files (a name ending in / is a directory).
func zipOf(t *testing.T, files ...[2]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestUnzipper(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	const read = `const dir = await unzipper.Open.buffer(Buffer.from(input.zip, 'base64'));
const out = [];
for (const f of dir.files) out.push([f.path, f.type, f.uncompressedSize, (await f.buffer()).toString('utf8')]);
return out;`
	const fails = `try { await unzipper.Open.buffer(Buffer.from(input.zip, 'base64')); return 'no error'; } catch (e) { return e.message; }`
	cases := []struct {
		name, imports, body, zip, want string
	}{
		{"files and a directory", `import unzipper from 'unzipper';`, read,
			zipOf(t, [2]string{"a.json", `{"a":1}`}, [2]string{"d/", ""}, [2]string{"d/b.txt", "héllo"}),
			`[["a.json","File",7,"{\"a\":1}"],["d/","Directory",0,""],["d/b.txt","File",6,"héllo"]]`},
		{"the named import", `import { Open } from 'unzipper'; const unzipper = { Open };`, read,
			zipOf(t, [2]string{"x", "y"}), `[["x","File",1,"y"]]`},
		{"not a zip", `import unzipper from 'unzipper';`, fails,
			base64.StdEncoding.EncodeToString([]byte("plain text")), `"unzip: zip: not a valid zip file"`},
		{"a bomb", `import unzipper from 'unzipper';`, fails,
			zipOf(t, [2]string{"zeros", strings.Repeat("\x00", maxUnzipped+1)}), `"unzip: the archive inflates to more than 64 MiB"`},
		{"no file system", `import unzipper from 'unzipper';`,
			`try { await unzipper.Open.file('/etc/passwd'); } catch (e) { return e.message; }`, "",
			`"unzipper: Open.file is not supported here (there is no file system or network); use Open.buffer"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := "import { createAction } from 'nango';\n" + c.imports + "\nexport default createAction({ exec: async (nango, input) => {\n" + c.body + "\n} });"
			in, _ := json.Marshal(map[string]string{"zip": c.zip})
			out, err := runAction(t, rt, src, string(in), &fakeHost{}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("out = %s\nwant  %s", out, c.want)
			}
		})
	}
}

func TestIntl(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	// 2024-01-02T15:04:05.678Z, a Tuesday; in New York 10:04 (EST, -5).
	const at = `const d = new Date(Date.UTC(2024, 0, 2, 15, 4, 5, 678));`
	cases := []struct{ name, body, want string }{
		{"a template's toLocaleString", `return d.toLocaleString('en-US', { year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: true, timeZone: 'America/New_York' }).replace(',', '');`,
			`"01/02/24 10:04 AM"`},
		{"toLocaleString defaults", `return [d.toLocaleString('en-US'), d.toLocaleDateString(), d.toLocaleTimeString('en-US', { timeZone: 'Asia/Kolkata' })];`,
			`["1/2/2024, 3:04:05 PM","1/2/2024","8:34:05 PM"]`},
		{"DateTimeFormat text months", `return [
  new Intl.DateTimeFormat('en-US', { dateStyle: 'full', timeZone: 'UTC' }).format(d),
  new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric' }).format(d),
  new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric' }).format(d),
  new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hour12: false }).format(d),
  new Intl.DateTimeFormat('en-US', { hour: 'numeric', timeZoneName: 'short', timeZone: 'America/New_York' }).format(d),
  new Intl.DateTimeFormat().format(d)];`,
			`["Tuesday, January 2, 2024","Jan 2, 2024","January 2024","15:04","10 AM EST","1/2/2024"]`},
		{"formatToParts", `return new Intl.DateTimeFormat('en-US', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d).filter((p) => p.type !== 'literal').map((p) => p.type + '=' + p.value);`,
			`["month=01","day=02","year=2024"]`},
		{"an unknown time zone", `try { new Intl.DateTimeFormat('en-US', { timeZone: 'Mars/Olympus' }); } catch (e) { return [e.name, e.message]; }`,
			`["RangeError","Invalid time zone specified: Mars/Olympus"]`},
		{"NumberFormat", `return [
  new Intl.NumberFormat('en-US').format(1234567.891),
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(-1234.5),
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'CHF' }).format(3).replace('\u00a0', '_'),
  new Intl.NumberFormat('en-US', { style: 'percent' }).format(0.256),
  new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false }).format(1234.5),
  (1234.5).toLocaleString('en-US'), (0.1).toLocaleString()];`,
			`["1,234,567.891","-$1,234.50","CHF_3.00","26%","1234.50","1,234.5","0.1"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := surfaceRun(t, rt, &fakeHost{}, "", at+"\n"+c.body); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// Under patchbay test (Unvalidated), zodValidateInput hands the input back
// as sent, as Nango's test mock does: not parsed, not checked.
func TestZodValidateInputUnvalidated(t *testing.T) {
	t.Parallel()
	src := `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({ exec: async (nango, input) => nango.zodValidateInput({ zodSchema: z.object({ id: z.string() }), input }) });`
	b := compileOne(t, map[string]string{"github/actions/a.ts": src}, "github/actions/a.ts")
	h := &fakeHost{}
	out, err := NewRuntime().Run(context.Background(), &Execution{Bundle: b, Kind: KindAction, Input: json.RawMessage(`{"z":1,"id":2}`), Host: h,
		Validation: Unvalidated, Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"success":true,"data":{"z":1,"id":2}}` || len(h.logs) != 0 {
		t.Fatalf("out = %s, logs %q", out, h.logs)
	}
}

// soap's shape: Workday's templates compile, and a test replaces
// createClientAsync on the default export, as their tests do.
func TestSoapModule(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	cases := []struct{ name, imports, body, want string }{
		{"replaced createClientAsync", `import soap from 'soap';`, `
soap.createClientAsync = async (url) => ({ url, setSecurity(s) { this.s = s; }, async Get_WorkersAsync(args) { return [{ got: args, user: this.s.username }]; } });
const client = await soap.createClientAsync('https://example.com/x.wsdl', {});
client.setSecurity(new soap.WSSecurity('u', 'p'));
const [res] = await client['Get_WorkersAsync']({ a: 1 });
return [client.url, res];`, `["https://example.com/x.wsdl",{"got":{"a":1},"user":"u"}]`},
		{"named imports see the replacement", `import soap, { createClientAsync, security } from 'soap';`, `
soap.createClientAsync = async () => 'mocked';
return [await createClientAsync('x'), new security.WSSecurity('u', 'p', 'PasswordDigest').options];`, `["mocked",{"passwordType":"PasswordDigest"}]`},
		{"no WSDL", `import soap from 'soap';`,
			`try { await soap.createClientAsync('https://example.com/x.wsdl'); } catch (e) { return e.message.slice(0, 50); }`,
			`"soap: createClientAsync needs the service's WSDL, "`},
		{"unzipper can be replaced too", `import unzipper from 'unzipper';`,
			`unzipper.Open.buffer = async () => ({ files: [] }); return await unzipper.Open.buffer(Buffer.from('x'));`, `{"files":[]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := surfaceRun(t, rt, &fakeHost{}, c.imports, c.body); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}
