package functions

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
	"modernc.org/quickjs"
)

// zodEntry (TypeScript, like a template) imports the module in all three
// ways templates do and exposes each on globalThis, plus a few helpers the
// test expressions use.
const zodEntry = `
import { z } from 'zod';
import zDefault from 'zod';
import * as zNS from 'zod';
const Probe = z.object({ id: z.string() });
type Probe = z.infer<typeof Probe>; // type-only: must compile away
const probe: Probe = Probe.parse({ id: 'p' });
globalThis.z = z;
globalThis.probe = probe;
globalThis.zDefault = zDefault;
globalThis.zNS = zNS;
// Parsed data, or the failure's message when parsing fails.
globalThis.data = (s, v) => {
  const r = s.safeParse(v);
  return r.success ? r.data : 'FAILED: ' + r.error.message;
};
// Just code and path of each issue (null when parsing succeeds).
globalThis.codes = (s, v) => {
  const r = s.safeParse(v);
  return r.success ? null : r.error.issues.map((i) => ({ code: i.code, path: i.path }));
};
globalThis.issues = (s, v) => {
  const r = s.safeParse(v);
  return r.success ? null : r.error.issues;
};
// JSON Schema without the $schema line, to keep expectations short.
globalThis.js = (s) => {
  const { $schema, ...rest } = z.toJSONSchema(s);
  return rest;
};
`

// zodVM bundles js/zod.js behind zodEntry with esbuild and evaluates it in
// a fresh QuickJS VM.
func zodVM(t *testing.T) *quickjs.VM {
	t.Helper()
	plugin := api.Plugin{
		Name: "zod",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^zod$`}, func(api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: "js/zod.js", Namespace: "zod"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "zod"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				src, err := os.ReadFile(a.Path)
				if err != nil {
					return api.OnLoadResult{}, err
				}
				s := string(src)
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderJS}, nil
			})
		},
	}
	res := api.Build(api.BuildOptions{
		Stdin:    &api.StdinOptions{Contents: zodEntry, Loader: api.LoaderTS},
		Bundle:   true,
		Format:   api.FormatIIFE,
		Target:   api.ES2022,
		Write:    false,
		LogLevel: api.LogLevelSilent,
		Plugins:  []api.Plugin{plugin},
	})
	if len(res.Errors) > 0 {
		t.Fatalf("bundle: %v", res.Errors)
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	if _, err := vm.Eval(string(res.OutputFiles[0].Contents), quickjs.EvalGlobal); err != nil {
		t.Fatalf("eval bundle: %v", err)
	}
	return vm
}

// zodJSON evaluates expr and returns its value round-tripped through
// JSON.stringify (bigints become "<n>n", undefined becomes "<undefined>").
func zodJSON(t *testing.T, vm *quickjs.VM, expr string) (string, error) {
	t.Helper()
	wrapped := `(() => { const v = (` + expr + `);
	  return v === undefined ? '"<undefined>"' : JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' : x); })()`
	out, err := vm.Eval(wrapped, quickjs.EvalGlobal)
	if err != nil {
		return "", err
	}
	s, ok := out.(string)
	if !ok {
		t.Fatalf("%s: evaluated to %T, want a JSON string", expr, out)
	}
	return s, nil
}

type zodCase struct {
	name string
	expr string // JS expression; its value is compared as JSON
	want string // expected JSON
}

// zodRun evaluates each case in vm and compares decoded JSON, so key order
// does not matter.
func zodRun(t *testing.T, vm *quickjs.VM, cases []zodCase) {
	t.Helper()
	for _, c := range cases {
		got, err := zodJSON(t, vm, c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var g, w any
		if err := json.Unmarshal([]byte(got), &g); err != nil {
			t.Errorf("%s: bad JSON %q: %v", c.name, got, err)
			continue
		}
		if err := json.Unmarshal([]byte(c.want), &w); err != nil {
			t.Fatalf("%s: bad expectation %q: %v", c.name, c.want, err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}

// zodAwait evaluates expr (a promise), drains the job queue and returns the
// settled value as JSON, or "REJECT <message>".
func zodAwait(t *testing.T, vm *quickjs.VM, expr string) string {
	t.Helper()
	if _, err := vm.Eval(`globalThis.__settled = undefined;
	  Promise.resolve(`+expr+`).then((v) => { __settled = JSON.stringify(v); }, (e) => { __settled = 'REJECT ' + e.message; });`,
		quickjs.EvalGlobal); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if _, err := vm.ExecutePendingJobs(); err != nil {
		t.Fatalf("%s: jobs: %v", expr, err)
	}
	out, err := vm.Eval(`__settled`, quickjs.EvalGlobal)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := out.(string)
	return s
}

func TestZodImportForms(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		{"default is z", `zDefault === z`, `true`},
		{"z.infer compiles away", `probe`, `{"id": "p"}`},
		{"namespace builders", `['object', 'string', 'number', 'boolean', 'bigint', 'date', 'array', 'enum', 'literal', 'union',
		  'discriminatedUnion', 'record', 'tuple', 'any', 'unknown', 'null', 'undefined', 'optional', 'nullable', 'nullish',
		  'never', 'void', 'email', 'url', 'uuid', 'toJSONSchema', 'nativeEnum', 'intersection', 'lazy', 'custom']
		  .filter((k) => typeof zNS[k] !== 'function' || zNS[k] !== z[k])`, `[]`},
		{"namespace objects", `[zNS.coerce === z.coerce, zNS.iso === z.iso, zNS.ZodError === z.ZodError, typeof zNS.iso.datetime]`, `[true, true, true, "function"]`},
		{"namespace parses", `zNS.object({ a: zNS.null() }).parse({ a: null })`, `{"a": null}`},
		{"module default also has z", `zNS.default === z && zNS.z === z`, `true`},
	})
}

func TestZodParseSuccess(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		// objects and unknown keys
		{"strip unknown keys", `z.object({ a: z.string() }).parse({ a: 'x', b: 1 })`, `{"a": "x"}`},
		{"passthrough", `z.object({ a: z.string() }).passthrough().parse({ a: 'x', b: 1 })`, `{"a": "x", "b": 1}`},
		{"looseObject", `z.looseObject({ a: z.string() }).parse({ a: 'x', b: 1 })`, `{"a": "x", "b": 1}`},
		{"strip after passthrough", `z.object({ a: z.string() }).passthrough().strip().parse({ a: 'x', b: 1 })`, `{"a": "x"}`},
		{"catchall", `z.object({ a: z.string() }).catchall(z.number()).parse({ a: 'x', b: 1 })`, `{"a": "x", "b": 1}`},
		{"new object returned", `(() => { const v = { a: 'x' }; return z.object({ a: z.string() }).parse(v) !== v; })()`, `true`},
		{"nested", `z.object({ u: z.object({ n: z.number() }), l: z.array(z.object({ s: z.string() })) }).parse({ u: { n: 1, x: 2 }, l: [{ s: 'a', y: 1 }] })`,
			`{"u": {"n": 1}, "l": [{"s": "a"}]}`},
		// defaults
		{"default applied", `z.object({ a: z.string().default('d'), b: z.array(z.string()).default([]) }).parse({})`, `{"a": "d", "b": []}`},
		{"default function", `z.string().default(() => 'fn').parse(undefined)`, `"fn"`},
		{"default fresh copy", `(() => { const s = z.array(z.string()).default([]); s.parse(undefined).push('x'); return s.parse(undefined); })()`, `[]`},
		{"default keeps given", `z.object({ a: z.string().default('d') }).parse({ a: 'given' })`, `{"a": "given"}`},
		{"default does not replace null", `data(z.string().default('x'), null)`, `"FAILED: ✖ Invalid input: expected string, received null"`},
		{"optional of default", `z.object({ a: z.string().default('x').optional() }).parse({})`, `{"a": "x"}`},
		{"prefault parses its value", `z.object({ o: z.object({ c: z.string().default('x') }).prefault({}) }).parse({})`, `{"o": {"c": "x"}}`},
		{"catch", `z.object({ a: z.number().catch(-1), b: z.string().catch((c) => c.issues[0].code) }).parse({ a: 'x', b: 1 })`,
			`{"a": -1, "b": "invalid_type"}`},
		// optional / nullable / nullish
		{"optional absent stays absent", `Object.keys(z.object({ a: z.string().optional() }).parse({}))`, `[]`},
		{"optional present undefined kept", `Object.keys(z.object({ a: z.string().optional() }).parse({ a: undefined }))`, `["a"]`},
		{"nullable", `z.object({ a: z.string().nullable() }).parse({ a: null })`, `{"a": null}`},
		{"nullish null", `z.string().nullish().parse(null)`, `null`},
		{"nullish undefined", `z.string().nullish().parse(undefined)`, `"<undefined>"`},
		{"z.optional", `z.optional(z.number()).parse(undefined)`, `"<undefined>"`},
		{"z.nullable", `z.nullable(z.number()).parse(null)`, `null`},
		{"z.nullish", `z.object({ a: z.nullish(z.number()) }).parse({})`, `{}`},
		// coerce
		{"coerce number", `z.coerce.number().parse('42')`, `42`},
		{"coerce string", `z.coerce.string().parse(42)`, `"42"`},
		{"coerce boolean", `[z.coerce.boolean().parse(0), z.coerce.boolean().parse('x')]`, `[false, true]`},
		{"coerce bigint", `z.coerce.bigint().parse('12')`, `"12n"`},
		{"coerce date", `z.coerce.date().parse('2020-01-02T03:04:05Z').toISOString()`, `"2020-01-02T03:04:05.000Z"`},
		// transforms and pipes
		{"transform", `z.string().transform((s) => s.length).parse('abc')`, `3`},
		{"transform in object", `z.object({ tags: z.string().transform((s) => s.split(',')) }).parse({ tags: 'a,b' })`, `{"tags": ["a", "b"]}`},
		{"transform then pipe", `z.string().transform(Number).pipe(z.number().int()).parse('12')`, `12`},
		{"preprocess", `z.preprocess((v) => String(v), z.string()).parse(5)`, `"5"`},
		{"preprocess absent key", `z.object({ a: z.preprocess((v) => v ?? 'x', z.string()) }).parse({})`, `{"a": "x"}`},
		{"trim lower upper", `[z.string().trim().parse('  a '), z.string().toLowerCase().parse('AbC'), z.string().toUpperCase().parse('AbC')]`, `["a", "abc", "ABC"]`},
		{"trim before min", `z.string().trim().min(1).safeParse('   ').success`, `false`},
		// unions
		{"union first match", `z.union([z.string(), z.number()]).parse(5)`, `5`},
		{"or", `z.string().or(z.number()).parse('s')`, `"s"`},
		{"union of objects strips", `z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]).parse({ b: 1, c: 2 })`, `{"b": 1}`},
		{"discriminated union", `z.discriminatedUnion('type', [z.object({ type: z.literal('a'), x: z.string() }), z.object({ type: z.literal('b'), y: z.number() })]).parse({ type: 'b', y: 1, z: 2 })`,
			`{"type": "b", "y": 1}`},
		{"discriminated union enum", `z.discriminatedUnion('k', [z.object({ k: z.enum(['a', 'c']) }), z.object({ k: z.literal('b'), n: z.number().default(1) })]).parse({ k: 'b' })`,
			`{"k": "b", "n": 1}`},
		{"nested discriminated union", `z.discriminatedUnion('t', [z.object({ t: z.literal('a') }), z.discriminatedUnion('t', [z.object({ t: z.literal('b') }), z.object({ t: z.literal('c'), x: z.number() })])]).parse({ t: 'c', x: 1 })`,
			`{"t": "c", "x": 1}`},
		{"intersection", `z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })).parse({ a: 'x', b: 1, c: 2 })`, `{"a": "x", "b": 1}`},
		{"and", `z.object({ a: z.string() }).and(z.object({ b: z.number() })).parse({ a: 'x', b: 1 })`, `{"a": "x", "b": 1}`},
		// records, tuples, enums, literals
		{"record", `z.record(z.string(), z.number()).parse({ a: 1, b: 2 })`, `{"a": 1, "b": 2}`},
		{"record one arg", `z.record(z.boolean()).parse({ a: true })`, `{"a": true}`},
		{"record enum keys", `z.record(z.enum(['a', 'b']), z.number().default(0)).parse({ a: 1 })`, `{"a": 1, "b": 0}`},
		{"partialRecord", `z.partialRecord(z.enum(['a', 'b']), z.number()).parse({ a: 1 })`, `{"a": 1}`},
		{"record numeric keys", `z.record(z.number(), z.string()).parse({ 1: 'a' })`, `{"1": "a"}`},
		{"record key transform", `z.record(z.string().transform((s) => s.toUpperCase()), z.number()).parse({ a: 1 })`, `{"A": 1}`},
		{"tuple", `z.tuple([z.string(), z.number()]).parse(['a', 1])`, `["a", 1]`},
		{"tuple optional tail", `z.tuple([z.string(), z.number().optional()]).parse(['a'])`, `["a"]`},
		{"tuple rest", `z.tuple([z.string()], z.number()).parse(['a', 1, 2])`, `["a", 1, 2]`},
		{"enum", `z.enum(['a', 'b']).parse('b')`, `"b"`},
		{"enum options", `z.enum(['a', 'b']).options`, `["a", "b"]`},
		{"enum map", `z.enum(['a', 'b']).enum`, `{"a": "a", "b": "b"}`},
		{"enum from TS string enum", `z.enum({ A: 'a', B: 'b' }).parse('a')`, `"a"`},
		{"enum from TS numeric enum", `z.nativeEnum({ A: 0, B: 1, 0: 'A', 1: 'B' }).options`, `[0, 1]`},
		{"enum extract exclude", `[z.enum(['a', 'b', 'c']).extract(['a']).options, z.enum(['a', 'b', 'c']).exclude(['a']).options]`, `[["a"], ["b", "c"]]`},
		{"literal", `[z.literal('a').parse('a'), z.literal(3).parse(3), z.literal(true).parse(true), z.literal(null).parse(null)]`, `["a", 3, true, null]`},
		{"literal array", `z.literal(['a', 'b']).parse('b')`, `"b"`},
		{"literal value", `z.literal('x').value`, `"x"`},
		// other primitives
		{"date", `z.date().parse(new Date(0)).getTime()`, `0`},
		{"date in object", `z.object({ d: z.date() }).parse({ d: new Date(0) })`, `{"d": "1970-01-01T00:00:00.000Z"}`},
		{"bigint", `z.bigint().positive().parse(5n)`, `"5n"`},
		{"boolean", `z.boolean().parse(false)`, `false`},
		{"null undefined void", `[z.null().parse(null), z.undefined().safeParse(undefined).success, z.void().safeParse(undefined).success]`, `[null, true, true]`},
		{"any unknown", `[z.any().parse({ x: 1 }), z.unknown().parse(2)]`, `[{"x": 1}, 2]`},
		{"optional any absent", `z.object({ a: z.any().optional() }).parse({})`, `{}`},
		{"multipleOf float", `z.number().multipleOf(0.1).parse(0.3)`, `0.3`},
		{"int", `[z.number().int().parse(3), z.int().parse(-4)]`, `[3, -4]`},
		{"string formats", `[z.email().parse('first.last+tag@sub.example.co'), z.url().parse('https://example.com/x?y=1'),
		  z.uuid().parse('123e4567-e89b-12d3-a456-426614174000'), z.iso.datetime().parse('2020-01-01T00:00:00.123Z'),
		  z.string().datetime({ offset: true }).parse('2020-01-01T00:00:00+02:00'), z.iso.date().parse('2024-02-29')]`,
			`["first.last+tag@sub.example.co", "https://example.com/x?y=1", "123e4567-e89b-12d3-a456-426614174000",
			  "2020-01-01T00:00:00.123Z", "2020-01-01T00:00:00+02:00", "2024-02-29"]`},
		{"url variants", `['http://localhost:3000/x', 'http://[::1]:80/', 'mailto:a@b.c', 'ftp://x.com'].map((u) => z.url().safeParse(u).success)`,
			`[true, true, true, true]`},
		{"readonly freezes", `Object.isFrozen(z.object({ a: z.string() }).readonly().parse({ a: 'x' }))`, `true`},
		{"lazy", `z.lazy(() => z.string()).parse('x')`, `"x"`},
		{"recursive getter shape", `(() => { const Cat = z.object({ name: z.string(), get children() { return z.array(Cat); } });
		  return Cat.parse({ name: 'a', children: [{ name: 'b', children: [], x: 1 }] }); })()`,
			`{"name": "a", "children": [{"name": "b", "children": []}]}`},
		{"refine passes", `z.string().refine((v) => v.length > 1).parse('ab')`, `"ab"`},
		{"safeParse success shape", `z.string().safeParse('a')`, `{"success": true, "data": "a"}`},
		{"isOptional isNullable", `[z.string().optional().isOptional(), z.string().isOptional(), z.string().nullable().isNullable()]`, `[true, false, true]`},
	})
}

func TestZodParseFailures(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		{"wrong type", `codes(z.string(), 1)`, `[{"code": "invalid_type", "path": []}]`},
		{"missing key", `codes(z.object({ a: z.string() }), {})`, `[{"code": "invalid_type", "path": ["a"]}]`},
		{"nested path", `codes(z.object({ u: z.object({ n: z.number() }) }), { u: { n: 'x' } })`, `[{"code": "invalid_type", "path": ["u", "n"]}]`},
		{"array indices", `codes(z.array(z.object({ p: z.number() })), [{ p: 1 }, { p: 'x' }, {}])`,
			`[{"code": "invalid_type", "path": [1, "p"]}, {"code": "invalid_type", "path": [2, "p"]}]`},
		{"all issues collected", `codes(z.object({ a: z.string(), b: z.number().min(5), c: z.array(z.boolean()) }), { a: 1, b: 2, c: [true, 'x'] })`,
			`[{"code": "invalid_type", "path": ["a"]}, {"code": "too_small", "path": ["b"]}, {"code": "invalid_type", "path": ["c", 1]}]`},
		{"not an object", `codes(z.object({}), [])`, `[{"code": "invalid_type", "path": []}]`},
		{"NaN rejected", `codes(z.number(), NaN)`, `[{"code": "invalid_type", "path": []}]`},
		{"Infinity rejected", `codes(z.number(), Infinity)`, `[{"code": "invalid_type", "path": []}]`},
		{"int", `codes(z.number().int(), 1.5)`, `[{"code": "invalid_type", "path": []}]`},
		{"number bounds", `[5, 0, 11].map((n) => codes(z.number().gt(0).lte(10).multipleOf(2), n))`,
			`[[{"code": "not_multiple_of", "path": []}], [{"code": "too_small", "path": []}], [{"code": "too_big", "path": []}, {"code": "not_multiple_of", "path": []}]]`},
		{"sign helpers", `[z.number().positive(), z.number().nonnegative(), z.number().negative(), z.number().nonpositive()].map((s) => s.safeParse(0).success)`,
			`[false, true, false, true]`},
		{"string lengths", `[codes(z.string().min(2), 'a'), codes(z.string().max(1), 'ab'), codes(z.string().length(2), 'abc'), codes(z.string().nonempty(), '')]`,
			`[[{"code": "too_small", "path": []}], [{"code": "too_big", "path": []}], [{"code": "too_big", "path": []}], [{"code": "too_small", "path": []}]]`},
		{"string formats", `[z.email(), z.string().email(), z.url(), z.uuid(), z.string().regex(/^a+$/), z.iso.datetime(), z.string().startsWith('x'), z.string().endsWith('x')]
		  .map((s) => issues(s, 'nope b')[0].format)`, `["email", "email", "url", "uuid", "regex", "datetime", "starts_with", "ends_with"]`},
		{"bad urls", `['not a url', 'http://', 'a.com', '//a.com'].map((u) => z.url().safeParse(u).success)`, `[false, false, false, false]`},
		{"bad datetimes", `['2020-01-01', '2020-01-01T00:00Z', '2020-02-30T00:00:00Z', '2020-01-01T24:00:00Z', '2020-01-01T00:00:00+02:00']
		  .map((d) => z.iso.datetime().safeParse(d).success)`, `[false, false, false, false, false]`},
		{"bad uuid variant", `z.uuid().safeParse('123e4567-e89b-12d3-c456-426614174000').success`, `false`},
		{"enum", `codes(z.enum(['a', 'b']), 'c')`, `[{"code": "invalid_value", "path": []}]`},
		{"literal", `codes(z.object({ k: z.literal('a') }), { k: 'b' })`, `[{"code": "invalid_value", "path": ["k"]}]`},
		{"strict", `codes(z.object({ a: z.string() }).strict(), { a: 'x', b: 1, c: 2 })`, `[{"code": "unrecognized_keys", "path": []}]`},
		{"strict keys", `issues(z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 })[0].keys`, `["b", "c"]`},
		{"catchall value", `codes(z.object({}).catchall(z.number()), { b: 'y' })`, `[{"code": "invalid_type", "path": ["b"]}]`},
		{"union", `codes(z.union([z.string(), z.number()]), true)`, `[{"code": "invalid_union", "path": []}]`},
		{"union one close option", `codes(z.union([z.string().min(5), z.number()]), 'ab')`, `[{"code": "too_small", "path": []}]`},
		{"discriminator mismatch", `codes(z.discriminatedUnion('type', [z.object({ type: z.literal('a') }), z.object({ type: z.literal('b') })]), { type: 'c' })`,
			`[{"code": "invalid_union", "path": ["type"]}]`},
		{"discriminated option fails", `codes(z.discriminatedUnion('type', [z.object({ type: z.literal('a'), x: z.string() }), z.object({ type: z.literal('b') })]), { type: 'a' })`,
			`[{"code": "invalid_type", "path": ["x"]}]`},
		{"record value", `codes(z.record(z.string(), z.number()), { a: 'x' })`, `[{"code": "invalid_type", "path": ["a"]}]`},
		{"record key", `codes(z.record(z.string().min(2), z.number()), { a: 1 })`, `[{"code": "invalid_key", "path": ["a"]}]`},
		{"record enum missing and extra", `codes(z.record(z.enum(['a', 'b']), z.number()), { a: 1, c: 3 })`,
			`[{"code": "invalid_type", "path": ["b"]}, {"code": "unrecognized_keys", "path": []}]`},
		{"tuple too short", `codes(z.tuple([z.string(), z.number()]), ['a'])`, `[{"code": "too_small", "path": []}]`},
		{"tuple too long", `codes(z.tuple([z.string()]), ['a', 1])`, `[{"code": "too_big", "path": []}]`},
		{"tuple item", `codes(z.tuple([z.string(), z.number()]), ['a', 'b'])`, `[{"code": "invalid_type", "path": [1]}]`},
		{"array size", `[codes(z.array(z.number()).min(2), [1]), codes(z.array(z.number()).max(1), [1, 2]), codes(z.array(z.number()).nonempty(), [])]`,
			`[[{"code": "too_small", "path": []}], [{"code": "too_big", "path": []}], [{"code": "too_small", "path": []}]]`},
		{"refine", `codes(z.string().refine((v) => v === 'x'), 'y')`, `[{"code": "custom", "path": []}]`},
		{"refine with path", `codes(z.object({ p: z.string(), c: z.string() }).refine((v) => v.p === v.c, { message: 'must match', path: ['c'] }), { p: 'a', c: 'b' })`,
			`[{"code": "custom", "path": ["c"]}]`},
		{"refine skipped after type error", `codes(z.object({ p: z.string() }).refine(() => false), { p: 1 })`, `[{"code": "invalid_type", "path": ["p"]}]`},
		{"refine runs after check failure", `codes(z.object({ p: z.string().min(3) }).refine(() => false), { p: 'a' })`,
			`[{"code": "too_small", "path": ["p"]}, {"code": "custom", "path": []}]`},
		{"refine abort", `codes(z.string().refine(() => false, { abort: true }).refine(() => false), 'x')`, `[{"code": "custom", "path": []}]`},
		{"superRefine", `issues(z.string().superRefine((v, ctx) => { ctx.addIssue({ code: 'custom', message: 'bad', path: ['x'] }); ctx.addIssue('second'); }), 'a')`,
			`[{"code": "custom", "path": ["x"], "message": "bad"}, {"code": "custom", "path": [], "message": "second"}]`},
		{"transform addIssue", `codes(z.object({ n: z.string().transform((v, ctx) => { ctx.addIssue({ code: 'custom', message: 'nan' }); return z.NEVER; }) }), { n: 'x' })`,
			`[{"code": "custom", "path": ["n"]}]`},
		{"transform skipped on failure", `codes(z.string().transform(() => { throw new Error('ran'); }), 1)`, `[{"code": "invalid_type", "path": []}]`},
		{"pipe target", `codes(z.string().transform((s) => s.length).pipe(z.number().min(5)), 'abc')`, `[{"code": "too_small", "path": []}]`},
		{"coerce failures", `[codes(z.coerce.number(), 'x'), codes(z.coerce.bigint(), 'x'), codes(z.coerce.date(), 'garbage')]`,
			`[[{"code": "invalid_type", "path": []}], [{"code": "invalid_type", "path": []}], [{"code": "invalid_type", "path": []}]]`},
		{"optional rejects null", `codes(z.string().optional(), null)`, `[{"code": "invalid_type", "path": []}]`},
		{"nullable rejects undefined", `codes(z.string().nullable(), undefined)`, `[{"code": "invalid_type", "path": []}]`},
		{"absent any is required", `issues(z.object({ a: z.any(), b: z.unknown() }), {})`,
			`[{"code": "invalid_type", "expected": "nonoptional", "path": ["a"], "message": "Invalid input: expected nonoptional, received undefined"},
			  {"code": "invalid_type", "expected": "nonoptional", "path": ["b"], "message": "Invalid input: expected nonoptional, received undefined"}]`},
		{"never", `codes(z.object({ a: z.never().optional() }), { a: 1 })`, `[{"code": "invalid_type", "path": ["a"]}]`},
		{"date", `[codes(z.date(), '2020'), codes(z.date(), new Date('x')), codes(z.date().min(new Date(1000)), new Date(0))]`,
			`[[{"code": "invalid_type", "path": []}], [{"code": "invalid_type", "path": []}], [{"code": "too_small", "path": []}]]`},
		{"bigint", `[codes(z.bigint(), 1), codes(z.bigint().multipleOf(3n), 4n)]`,
			`[[{"code": "invalid_type", "path": []}], [{"code": "not_multiple_of", "path": []}]]`},
		{"instanceof", `codes(z.instanceof(Date), 'x')`, `[{"code": "invalid_type", "path": []}]`},
		{"custom", `codes(z.custom((v) => v === 1), 2)`, `[{"code": "custom", "path": []}]`},
		{"sync parse of async refine throws", `(() => { try { z.string().refine(async () => true).safeParse('x'); return 'no'; } catch (e) { return e.message; } })()`,
			`"Encountered Promise during synchronous parse. Use .parseAsync() instead."`},
	})
}

// Exact issue objects and messages, in zod v4's wording.
func TestZodIssues(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		{"invalid_type", `issues(z.string(), 1)`,
			`[{"code": "invalid_type", "expected": "string", "path": [], "message": "Invalid input: expected string, received number"}]`},
		{"missing key", `issues(z.object({ name: z.string() }), {})`,
			`[{"code": "invalid_type", "expected": "string", "path": ["name"], "message": "Invalid input: expected string, received undefined"}]`},
		{"NaN", `issues(z.number(), NaN)`,
			`[{"code": "invalid_type", "expected": "number", "received": "NaN", "path": [], "message": "Invalid input: expected number, received NaN"}]`},
		{"received names", `[null, [], {}, new Date(), true].map((v) => issues(z.string(), v)[0].message)`,
			`["Invalid input: expected string, received null", "Invalid input: expected string, received array",
			  "Invalid input: expected string, received object", "Invalid input: expected string, received Date",
			  "Invalid input: expected string, received boolean"]`},
		{"int", `issues(z.number().int(), 1.5)`,
			`[{"code": "invalid_type", "expected": "int", "format": "safeint", "path": [], "message": "Invalid input: expected int, received number"}]`},
		{"too_small string", `issues(z.string().min(5), 'abc')`,
			`[{"code": "too_small", "origin": "string", "minimum": 5, "inclusive": true, "path": [], "message": "Too small: expected string to have >=5 characters"}]`},
		{"too_big array", `issues(z.array(z.string()).max(2), ['a', 'b', 'c'])`,
			`[{"code": "too_big", "origin": "array", "maximum": 2, "inclusive": true, "path": [], "message": "Too big: expected array to have <=2 items"}]`},
		{"exact length", `issues(z.string().length(3), 'ab')`,
			`[{"code": "too_small", "origin": "string", "minimum": 3, "inclusive": true, "exact": true, "path": [], "message": "Too small: expected string to have exactly 3 characters"}]`},
		{"number gt", `issues(z.number().gt(10), 5)`,
			`[{"code": "too_small", "origin": "number", "minimum": 10, "inclusive": false, "path": [], "message": "Too small: expected number to be >10"}]`},
		{"number lte", `issues(z.number().max(10), 15)[0].message`, `"Too big: expected number to be <=10"`},
		{"multipleOf", `issues(z.number().multipleOf(3), 10)`,
			`[{"code": "not_multiple_of", "origin": "number", "divisor": 3, "path": [], "message": "Invalid number: must be a multiple of 3"}]`},
		{"email", `issues(z.email(), 'nope').map(({ pattern, ...rest }) => rest)`,
			`[{"code": "invalid_format", "origin": "string", "format": "email", "path": [], "message": "Invalid email address"}]`},
		{"format messages", `[z.url(), z.uuid(), z.iso.datetime(), z.iso.date(), z.iso.time()].map((s) => issues(s, 'x')[0].message)`,
			`["Invalid URL", "Invalid UUID", "Invalid ISO datetime", "Invalid ISO date", "Invalid ISO time"]`},
		{"regex", `issues(z.string().regex(/^[a-z]+$/), 'ABC')`,
			`[{"code": "invalid_format", "origin": "string", "format": "regex", "pattern": "/^[a-z]+$/", "path": [], "message": "Invalid string: must match pattern /^[a-z]+$/"}]`},
		{"startsWith endsWith includes", `[z.string().startsWith('he'), z.string().endsWith('lo'), z.string().includes('zz')].map((s) => issues(s, 'x')[0].message)`,
			`["Invalid string: must start with \"he\"", "Invalid string: must end with \"lo\"", "Invalid string: must include \"zz\""]`},
		{"enum", `issues(z.enum(['a', 'b', 'c']), 'd')`,
			`[{"code": "invalid_value", "values": ["a", "b", "c"], "path": [], "message": "Invalid option: expected one of \"a\"|\"b\"|\"c\""}]`},
		{"literal", `issues(z.literal('hello'), 'world')`,
			`[{"code": "invalid_value", "values": ["hello"], "path": [], "message": "Invalid input: expected \"hello\""}]`},
		{"unrecognized_keys", `issues(z.object({ a: z.string() }).strict(), { a: 'x', b: 1, c: 2 })`,
			`[{"code": "unrecognized_keys", "keys": ["b", "c"], "path": [], "message": "Unrecognized keys: \"b\", \"c\""}]`},
		{"invalid_union", `issues(z.union([z.string(), z.number()]), true)`,
			`[{"code": "invalid_union", "path": [], "message": "Invalid input", "errors": [
			  [{"code": "invalid_type", "expected": "string", "path": [], "message": "Invalid input: expected string, received boolean"}],
			  [{"code": "invalid_type", "expected": "number", "path": [], "message": "Invalid input: expected number, received boolean"}]]}]`},
		{"discriminator", `issues(z.discriminatedUnion('type', [z.object({ type: z.literal('a') }), z.object({ type: z.literal('b') })]), { type: 'c' })`,
			`[{"code": "invalid_union", "errors": [], "note": "No matching discriminator", "discriminator": "type", "options": ["a", "b"],
			  "path": ["type"], "message": "Invalid discriminator value. Expected 'a' | 'b'"}]`},
		{"invalid_key", `issues(z.record(z.string().min(2), z.number()), { a: 1 })`,
			`[{"code": "invalid_key", "origin": "record", "path": ["a"], "message": "Invalid key in record", "issues": [
			  {"code": "too_small", "origin": "string", "minimum": 2, "inclusive": true, "path": [], "message": "Too small: expected string to have >=2 characters"}]}]`},
		{"custom", `issues(z.string().refine(() => false), 'x')`, `[{"code": "custom", "path": [], "message": "Invalid input"}]`},
		{"refine params", `issues(z.string().refine(() => false, { message: 'nope', params: { a: 1 } }), 'x')`,
			`[{"code": "custom", "params": {"a": 1}, "path": [], "message": "nope"}]`},
		// custom messages
		{"message string", `issues(z.string().min(3, 'short'), 'a')[0].message`, `"short"`},
		{"message object", `[issues(z.string().min(3, { message: 'm' }), 'a')[0].message, issues(z.string().min(3, { error: 'e' }), 'a')[0].message]`, `["m", "e"]`},
		{"error function", `issues(z.string().min(3, { error: (i) => 'need ' + i.minimum }), 'a')[0].message`, `"need 3"`},
		{"schema error", `[issues(z.string('not a string'), 1)[0].message, issues(z.number({ error: 'num!' }).min(5), 1)[0].message]`, `["not a string", "num!"]`},
		{"schema error function", `[undefined, 5].map((v) => issues(z.string({ error: (i) => i.input === undefined ? 'required' : 'wrong' }), v)[0].message)`,
			`["required", "wrong"]`},
		{"zod 3 params", `[undefined, 5].map((v) => issues(z.string({ required_error: 'req', invalid_type_error: 'type' }), v)[0].message)`, `["req", "type"]`},
		{"issues are plain JSON", `(() => { const i = issues(z.object({ a: z.union([z.string(), z.number()]) }), { a: true }); return JSON.stringify(JSON.parse(JSON.stringify(i))) === JSON.stringify(i); })()`, `true`},
	})
}

func TestZodError(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		{"parse throws ZodError", `(() => { try { z.string().parse(1); } catch (e) { return [e instanceof z.ZodError, e instanceof Error, e.name, e.issues.length]; } })()`,
			`[true, true, "ZodError", 1]`},
		{"safeParse error", `(() => { const r = z.string().safeParse(1); return [r.success, r.error instanceof z.ZodError]; })()`, `[false, true]`},
		{"readable message", `z.object({ a: z.string(), 'b-c': z.array(z.number()) }).safeParse({ a: 1, 'b-c': [1, 'x'] }).error.message`,
			`"✖ Invalid input: expected string, received number\n  → at a\n✖ Invalid input: expected number, received string\n  → at [\"b-c\"][1]"`},
		{"root message", `z.string().safeParse(1).error.message`, `"✖ Invalid input: expected string, received number"`},
		{"toString", `String(z.string().safeParse(1).error)`, `"ZodError: ✖ Invalid input: expected string, received number"`},
		{"prettifyError", `z.prettifyError(z.object({ u: z.object({ n: z.number() }) }).safeParse({ u: { n: 'x' } }).error)`,
			`"✖ Invalid input: expected number, received string\n  → at u.n"`},
		{"flatten", `z.object({ a: z.string(), b: z.number() }).refine(() => false, 'form').safeParse({ a: 1, b: 'x' }).error.flatten()`,
			`{"formErrors": [], "fieldErrors": {"a": ["Invalid input: expected string, received number"], "b": ["Invalid input: expected number, received string"]}}`},
		{"flattenError form", `z.flattenError(z.object({ a: z.string() }).refine(() => false, 'form').safeParse({ a: 'x' }).error)`,
			`{"formErrors": ["form"], "fieldErrors": {}}`},
		{"format", `z.object({ a: z.object({ b: z.string() }) }).safeParse({ a: { b: 1 } }).error.format()`,
			`{"_errors": [], "a": {"_errors": [], "b": {"_errors": ["Invalid input: expected string, received number"]}}}`},
		{"constructible", `new z.ZodError([{ code: 'custom', path: [], message: 'm' }]).message`, `"✖ m"`},
		{"JSON of error", `JSON.parse(JSON.stringify(z.string().safeParse(1).error))`,
			`{"issues": [{"code": "invalid_type", "expected": "string", "path": [], "message": "Invalid input: expected string, received number"}]}`},
	})
}

func TestZodObjectMethods(t *testing.T) {
	vm := zodVM(t)
	if _, err := vm.Eval(`globalThis.U = z.object({ id: z.string(), name: z.string().optional(), age: z.number() });`, quickjs.EvalGlobal); err != nil {
		t.Fatal(err)
	}
	zodRun(t, vm, []zodCase{
		{"shape", `Object.keys(U.shape)`, `["id", "name", "age"]`},
		{"shape entries are schemas", `U.shape.id instanceof z.ZodString && U.shape.name instanceof z.ZodOptional`, `true`},
		{"extend", `Object.keys(U.extend({ email: z.email() }).shape)`, `["id", "name", "age", "email"]`},
		{"extend overrides", `U.extend({ age: z.string() }).parse({ id: 'i', age: 'old' })`, `{"id": "i", "age": "old"}`},
		{"extend leaves original", `Object.keys(U.shape).length`, `3`},
		{"merge", `Object.keys(U.merge(z.object({ x: z.boolean() })).shape)`, `["id", "name", "age", "x"]`},
		{"merge takes other's mode", `U.merge(z.object({ x: z.boolean() }).passthrough()).parse({ id: 'i', age: 1, x: true, y: 1 })`,
			`{"id": "i", "age": 1, "x": true, "y": 1}`},
		{"pick", `U.pick({ id: true }).parse({ id: 'i', age: 1 })`, `{"id": "i"}`},
		{"omit", `Object.keys(U.omit({ id: true, age: true }).shape)`, `["name"]`},
		{"partial", `U.partial().parse({})`, `{}`},
		{"partial mask", `codes(U.partial({ id: true }), {})`, `[{"code": "invalid_type", "path": ["age"]}]`},
		{"required", `codes(U.required(), { id: 'i', age: 1 })`, `[{"code": "invalid_type", "path": ["name"]}]`},
		{"required mask", `U.required({ id: true }).parse({ id: 'i', age: 1 })`, `{"id": "i", "age": 1}`},
		{"keyof", `U.keyof().options`, `["id", "name", "age"]`},
		{"keyof rejects", `codes(U.keyof(), 'nope')`, `[{"code": "invalid_value", "path": []}]`},
		{"strict then passthrough", `U.strict().passthrough().parse({ id: 'i', age: 1, x: 2 })`, `{"id": "i", "age": 1, "x": 2}`},
		{"extend keeps getters lazy", `(() => { const N = z.object({ v: z.number(), get next() { return N.optional(); } }); return Object.keys(N.extend({ w: z.string() }).shape); })()`,
			`["v", "next", "w"]`},
		{"describe", `[U.describe('a user').description, U.description, z.string().meta({ description: 'm' }).description]`, `["a user", null, "m"]`},
		{"describe survives checks", `z.string().describe('d').min(2).description`, `"d"`},
		{"meta read back", `z.string().meta({ title: 't', examples: ['x'] }).meta()`, `{"title": "t", "examples": ["x"]}`},
		{"element and unwrap", `[z.array(z.string()).element.type, z.string().optional().unwrap().type, z.string().nullable().unwrap().type]`,
			`["string", "string", "string"]`},
		{"schema introspection", `[z.string().min(3).minLength, z.number().int().isInt, z.number().min(2).minValue, z.union([z.string(), z.number()]).options.length]`,
			`[3, true, 2, 2]`},
	})
}

func TestZodJSONSchema(t *testing.T) {
	vm := zodVM(t)
	zodRun(t, vm, []zodCase{
		{"$schema", `z.toJSONSchema(z.string())`, `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"}`},
		{"method form", `z.string().toJSONSchema().type`, `"string"`},
		// strings
		{"string bounds", `js(z.string().min(2).max(5))`, `{"type": "string", "minLength": 2, "maxLength": 5}`},
		{"string length", `js(z.string().length(3))`, `{"type": "string", "minLength": 3, "maxLength": 3}`},
		{"nonempty", `js(z.string().nonempty())`, `{"type": "string", "minLength": 1}`},
		{"email", `[js(z.email()), js(z.string().email())]`, `[{"type": "string", "format": "email"}, {"type": "string", "format": "email"}]`},
		{"url", `js(z.url())`, `{"type": "string", "format": "uri"}`},
		{"uuid", `js(z.uuid())`, `{"type": "string", "format": "uuid"}`},
		{"datetime", `[js(z.iso.datetime()), js(z.string().datetime())]`, `[{"type": "string", "format": "date-time"}, {"type": "string", "format": "date-time"}]`},
		{"local datetime has no format", `js(z.iso.datetime({ local: true }))`, `{"type": "string"}`},
		{"date", `js(z.iso.date())`, `{"type": "string", "format": "date"}`},
		{"regex", `js(z.string().regex(/^a+$/))`, `{"type": "string", "pattern": "^a+$"}`},
		{"two patterns", `js(z.string().regex(/^a/).regex(/b$/))`, `{"type": "string", "allOf": [{"pattern": "^a"}, {"pattern": "b$"}]}`},
		{"startsWith", `js(z.string().startsWith('a.b'))`, `{"type": "string", "pattern": "^a\\.b.*"}`},
		{"endsWith", `js(z.string().endsWith('ab'))`, `{"type": "string", "pattern": ".*ab$"}`},
		{"coerce", `[js(z.coerce.string()), js(z.coerce.number())]`, `[{"type": "string"}, {"type": "number"}]`},
		// numbers
		{"number", `js(z.number())`, `{"type": "number"}`},
		{"int", `[js(z.number().int()), js(z.int())]`,
			`[{"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991}, {"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991}]`},
		{"int min", `js(z.number().int().min(0))`, `{"type": "integer", "minimum": 0, "maximum": 9007199254740991}`},
		{"int positive", `js(z.number().int().positive())`, `{"type": "integer", "exclusiveMinimum": 0, "maximum": 9007199254740991}`},
		{"min max", `js(z.number().min(1).max(10))`, `{"type": "number", "minimum": 1, "maximum": 10}`},
		{"gt lt", `js(z.number().gt(1).lt(10))`, `{"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 10}`},
		{"stricter bound wins", `[js(z.number().gt(1).gte(5)), js(z.number().gte(1).gt(5))]`,
			`[{"type": "number", "minimum": 5}, {"type": "number", "exclusiveMinimum": 5}]`},
		{"sign helpers", `[z.number().positive(), z.number().nonnegative(), z.number().negative(), z.number().nonpositive()].map(js)`,
			`[{"type": "number", "exclusiveMinimum": 0}, {"type": "number", "minimum": 0}, {"type": "number", "exclusiveMaximum": 0}, {"type": "number", "maximum": 0}]`},
		{"multipleOf", `[js(z.number().multipleOf(5)), js(z.number().multipleOf(5).multipleOf(3))]`,
			`[{"type": "number", "multipleOf": 5}, {"type": "number", "multipleOf": 5, "allOf": [{"multipleOf": 3}]}]`},
		// other primitives
		{"boolean", `js(z.boolean())`, `{"type": "boolean"}`},
		{"null", `js(z.null())`, `{"type": "null"}`},
		{"any unknown", `[js(z.any()), js(z.unknown())]`, `[{}, {}]`},
		{"never", `js(z.never())`, `{"not": {}}`},
		{"undefined void", `[js(z.undefined()), js(z.void())]`, `[{}, {}]`},
		{"date", `js(z.date())`, `{"type": "string", "format": "date-time"}`},
		{"bigint", `js(z.bigint())`, `{"type": "integer", "format": "int64"}`},
		// enums and literals
		{"enum", `js(z.enum(['a', 'b']))`, `{"type": "string", "enum": ["a", "b"]}`},
		{"numeric enum", `js(z.enum({ A: 1, B: 2 }))`, `{"type": "number", "enum": [1, 2]}`},
		{"literal", `[js(z.literal('a')), js(z.literal(3)), js(z.literal(true)), js(z.literal(null))]`,
			`[{"type": "string", "const": "a"}, {"type": "number", "const": 3}, {"type": "boolean", "const": true}, {"type": "null", "const": null}]`},
		{"literals", `[js(z.literal(['a', 'b'])), js(z.literal(['a', 1]))]`, `[{"type": "string", "enum": ["a", "b"]}, {"enum": ["a", 1]}]`},
		// containers
		{"array", `js(z.array(z.string()))`, `{"type": "array", "items": {"type": "string"}}`},
		{"array bounds", `[js(z.array(z.number()).min(1).max(3)), js(z.array(z.number()).nonempty()), js(z.number().array().length(2))]`,
			`[{"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 3}, {"type": "array", "items": {"type": "number"}, "minItems": 1},
			  {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}]`},
		{"tuple", `js(z.tuple([z.string(), z.number()]))`,
			`{"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": false, "minItems": 2, "maxItems": 2}`},
		{"tuple optional tail", `js(z.tuple([z.string(), z.number().optional()]))`,
			`{"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": false, "minItems": 1, "maxItems": 2}`},
		{"tuple rest", `js(z.tuple([z.string()], z.number()))`, `{"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}, "minItems": 1}`},
		{"object", `js(z.object({ a: z.string(), b: z.number().optional(), c: z.boolean().default(true), d: z.string().nullish() }))`,
			`{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}, "c": {"type": "boolean", "default": true},
			  "d": {"anyOf": [{"type": "string"}, {"type": "null"}]}}, "required": ["a", "c"], "additionalProperties": false}`},
		{"empty object", `js(z.object({}))`, `{"type": "object", "properties": {}, "additionalProperties": false}`},
		{"nested object", `js(z.object({ o: z.object({ s: z.string() }) }))`,
			`{"type": "object", "properties": {"o": {"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"], "additionalProperties": false}},
			  "required": ["o"], "additionalProperties": false}`},
		{"passthrough", `js(z.object({ a: z.string() }).passthrough())`,
			`{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": {}}`},
		{"strict", `js(z.object({ a: z.string() }).strict())`,
			`{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}`},
		{"catchall", `js(z.object({ a: z.string() }).catchall(z.number()))`,
			`{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": {"type": "number"}}`},
		{"input io leaves objects open", `z.toJSONSchema(z.object({ a: z.string().default('x'), b: z.string() }), { io: 'input' })`,
			`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"a": {"type": "string", "default": "x"}, "b": {"type": "string"}}, "required": ["b"]}`},
		{"record", `js(z.record(z.string(), z.number()))`, `{"type": "object", "propertyNames": {"type": "string"}, "additionalProperties": {"type": "number"}}`},
		{"record enum keys", `js(z.record(z.enum(['a', 'b']), z.any()))`,
			`{"type": "object", "propertyNames": {"type": "string", "enum": ["a", "b"]}, "additionalProperties": {}, "required": ["a", "b"]}`},
		// combinators and wrappers
		{"union", `[js(z.union([z.string(), z.number()])), js(z.string().or(z.number()))]`,
			`[{"anyOf": [{"type": "string"}, {"type": "number"}]}, {"anyOf": [{"type": "string"}, {"type": "number"}]}]`},
		{"discriminated union", `js(z.discriminatedUnion('type', [z.object({ type: z.literal('a') }), z.object({ type: z.literal('b'), x: z.number() })]))`,
			`{"oneOf": [{"type": "object", "properties": {"type": {"type": "string", "const": "a"}}, "required": ["type"], "additionalProperties": false},
			  {"type": "object", "properties": {"type": {"type": "string", "const": "b"}, "x": {"type": "number"}}, "required": ["type", "x"], "additionalProperties": false}]}`},
		{"intersection", `js(z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })))`,
			`{"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false},
			  {"type": "object", "properties": {"b": {"type": "number"}}, "required": ["b"], "additionalProperties": false}]}`},
		{"nullable", `js(z.string().nullable())`, `{"anyOf": [{"type": "string"}, {"type": "null"}]}`},
		{"optional", `js(z.string().optional())`, `{"type": "string"}`},
		{"default", `[js(z.string().default('x')), js(z.array(z.string()).default(() => ['a']))]`,
			`[{"type": "string", "default": "x"}, {"type": "array", "items": {"type": "string"}, "default": ["a"]}]`},
		{"catch", `js(z.string().catch('c'))`, `{"type": "string", "default": "c"}`},
		{"readonly", `js(z.string().readonly())`, `{"type": "string", "readOnly": true}`},
		{"lazy", `js(z.lazy(() => z.string()))`, `{"type": "string"}`},
		{"transform describes its input", `js(z.string().transform((s) => s.length))`, `{"type": "string"}`},
		{"pipe describes its output", `js(z.string().transform(Number).pipe(z.number()))`, `{"type": "number"}`},
		{"preprocess", `js(z.preprocess((v) => v, z.string()))`, `{"type": "string"}`},
		{"refine ignored", `js(z.string().refine(() => true))`, `{"type": "string"}`},
		{"custom", `js(z.custom())`, `{}`},
		// metadata
		{"describe", `js(z.string().describe('desc'))`, `{"type": "string", "description": "desc"}`},
		{"describe nested", `js(z.object({ a: z.string().describe('field') }).describe('obj'))`,
			`{"type": "object", "description": "obj", "properties": {"a": {"type": "string", "description": "field"}}, "required": ["a"], "additionalProperties": false}`},
		{"describe through optional", `js(z.object({ a: z.string().describe('d').optional() }))`,
			`{"type": "object", "properties": {"a": {"type": "string", "description": "d"}}, "additionalProperties": false}`},
		{"describe on nullable", `js(z.string().nullable().describe('d'))`, `{"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"}`},
		{"meta", `js(z.string().meta({ description: 'd', title: 't', examples: ['x'] }))`, `{"type": "string", "description": "d", "title": "t", "examples": ["x"]}`},
		{"meta id goes to $defs", `(() => { const S = z.string().meta({ id: 'S' }); return z.toJSONSchema(z.object({ a: S, b: S })); })()`,
			`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"a": {"$ref": "#/$defs/S"}, "b": {"$ref": "#/$defs/S"}},
			  "required": ["a", "b"], "additionalProperties": false, "$defs": {"S": {"type": "string"}}}`},
		// object helpers
		{"extend", `js(z.object({ a: z.string() }).extend({ b: z.number() }))`,
			`{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "required": ["a", "b"], "additionalProperties": false}`},
		{"partial", `js(z.object({ a: z.string(), b: z.number() }).partial())`,
			`{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "additionalProperties": false}`},
		{"pick omit", `[js(z.object({ a: z.string(), b: z.number() }).pick({ a: true })).required, js(z.object({ a: z.string(), b: z.number() }).omit({ a: true })).required]`,
			`[["a"], ["b"]]`},
		{"keyof", `js(z.object({ a: z.string(), b: z.number() }).keyof())`, `{"type": "string", "enum": ["a", "b"]}`},
		// recursion
		{"recursive root", `(() => { const Cat = z.object({ name: z.string(), get children() { return z.array(Cat); } }); return js(Cat); })()`,
			`{"type": "object", "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}}, "required": ["name", "children"], "additionalProperties": false}`},
		{"recursive nested", `(() => { const Cat = z.object({ name: z.string(), get children() { return z.array(Cat); } }); return z.toJSONSchema(z.object({ root: Cat })); })()`,
			`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"root": {"$ref": "#/$defs/__schema0"}}, "required": ["root"], "additionalProperties": false,
			  "$defs": {"__schema0": {"type": "object", "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/__schema0"}}}, "required": ["name", "children"], "additionalProperties": false}}}`},
	})
}

func TestZodAsync(t *testing.T) {
	vm := zodVM(t)
	cases := []struct{ name, expr, want string }{
		{"parseAsync", `z.string().parseAsync('x')`, `"x"`},
		{"parseAsync rejects", `z.string().parseAsync(1).catch((e) => { throw new Error(e.name); })`, `REJECT ZodError`},
		{"safeParseAsync failure", `z.string().safeParseAsync(1).then((r) => r.error.issues.map((i) => i.code))`, `["invalid_type"]`},
		{"async refine", `z.string().refine(async (v) => v === 'x', 'not x').safeParseAsync('y').then((r) => r.error.issues.map((i) => i.message))`, `["not x"]`},
		{"async refine passes", `z.object({ a: z.string().refine(async () => true) }).parseAsync({ a: 'x', b: 1 })`, `{"a":"x"}`},
		{"async transforms in containers", `z.object({ a: z.string().transform(async (v) => v + '!'), b: z.array(z.number().transform(async (n) => n * 2)) }).parseAsync({ a: 'x', b: [1, 2] })`,
			`{"a":"x!","b":[2,4]}`},
		{"async transform then pipe", `z.string().transform(async (v) => v.length).pipe(z.number().min(3)).safeParseAsync('ab').then((r) => r.error.issues.map((i) => i.code))`,
			`["too_small"]`},
		{"async superRefine", `z.string().superRefine(async (v, ctx) => { ctx.addIssue({ message: 'late', path: ['p'] }); }).safeParseAsync('x').then((r) => r.error.issues)`,
			`[{"code":"custom","path":["p"],"message":"late"}]`},
	}
	for _, c := range cases {
		if got := zodAwait(t, vm, c.expr); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}
