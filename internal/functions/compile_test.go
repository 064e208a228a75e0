package functions

import (
	"context"
	"strings"
	"testing"
)

func TestCompileResolvesRelativeImports(t *testing.T) {
	files := map[string]string{
		"github/actions/a.ts":      "import { createAction } from 'nango';\nimport { twice } from '../helpers/math.js';\nimport cfg from '../helpers/cfg.json';\nimport { label } from '../helpers';\nexport default createAction({ exec: async () => twice(cfg.n) + label });\n",
		"github/helpers/math.ts":   "export const twice = (n: number): number => n * 2;\n",
		"github/helpers/cfg.json":  `{"n": 21}`,
		"github/helpers/index.ts":  "export const label = '!';\n",
		"github/actions/unused.ts": "this is not even TypeScript",
	}
	b, err := Compile(Source{Files: files, Entry: "github/actions/a.ts"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewRuntime().Run(context.Background(), &Execution{Bundle: b, Kind: KindAction, Host: &fakeHost{}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `"42!"` {
		t.Fatalf("out = %s", out)
	}
	// The hash covers the files the bundle used, not the rest.
	files["github/actions/unused.ts"] = "changed"
	b2, err := Compile(Source{Files: files, Entry: "github/actions/a.ts"})
	if err != nil || b2.Hash != b.Hash {
		t.Fatalf("hash changed with an unused file: %v", err)
	}
	files["github/helpers/math.ts"] = "export const twice = (n: number): number => n + n;\n"
	if b3, err := Compile(Source{Files: files, Entry: "github/actions/a.ts"}); err != nil || b3.Hash == b.Hash {
		t.Fatalf("hash unchanged after an imported file changed: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"syntax", map[string]string{"x/actions/a.ts": "const a = 1;\nconst b = ;\n"}, []string{"x/actions/a.ts:2:11:"}},
		{"type syntax", map[string]string{"x/actions/a.ts": "let a: = 1;\n"}, []string{"x/actions/a.ts:1:"}},
		{"npm package", map[string]string{"x/actions/a.ts": "import _ from 'lodash';\nexport default _;\n"}, []string{"x/actions/a.ts:1:", `cannot import "lodash"`}},
		{"node module", map[string]string{"x/actions/a.ts": "import fs from 'node:fs';\nexport default fs;\n"}, []string{`cannot import "node:fs"`}},
		{"missing file", map[string]string{"x/actions/a.ts": "import { y } from './y.js';\nexport default y;\n"}, []string{"no file x/actions/y.js"}},
		{"outside the project", map[string]string{"x/actions/a.ts": "import y from '../../../etc/passwd';\nexport default y;\n"}, []string{"outside the project"}},
		{"error in an import", map[string]string{"x/actions/a.ts": "import { y } from '../lib/y.js';\nexport default y;\n", "x/lib/y.ts": "export const y = {;\n"}, []string{"x/lib/y.ts:1:"}},
		{"no entry", map[string]string{"x/actions/b.ts": ""}, []string{"entry file not found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(Source{Files: c.files, Entry: "x/actions/a.ts"})
			ce, ok := IsCompileError(err)
			if !ok {
				t.Fatalf("err = %v, want a CompileError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(ce.Error(), w) {
					t.Errorf("error %q does not contain %q", ce.Error(), w)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	b := compileOne(t, map[string]string{"github/syncs/issues.ts": `
import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  description: 'Issues', version: '1.2.0', frequency: 'every hour', autoStart: false, syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/issues' }], trackDeletes: true,
  models: { GithubIssue: z.object({ id: z.string() }) },
  exec: async () => {},
});`}, "github/syncs/issues.ts")
	def, err := NewRuntime().Describe(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if def.Type != "sync" || def.Version != "1.2.0" || def.Frequency != "every hour" || def.AutoStart || !def.TrackDeletes || def.SyncType != "incremental" {
		t.Fatalf("def = %+v", def)
	}
	if _, ok := def.Models["GithubIssue"]; !ok {
		t.Fatalf("models = %v", def.Models)
	}
}

func TestShimImportForms(t *testing.T) {
	b := compileOne(t, map[string]string{"x/actions/a.ts": `
import { createAction } from 'nango';
import z from 'zod';
import * as zz from 'zod';
import { z as z3, object, string, preprocess, strictObject } from 'zod';
export default createAction({ exec: async () => [
  z.string().parse('a'), zz.number().parse(1), z3.boolean().parse(true),
  object({ a: string() }).parse({ a: 'b', c: 1 }).a, preprocess((v) => String(v), string()).parse(5),
  strictObject({}).safeParse({ x: 1 }).success,
] });`}, "x/actions/a.ts")
	out, err := NewRuntime().Run(context.Background(), &Execution{Bundle: b, Kind: KindAction, Host: &fakeHost{}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `["a",1,true,"b","5",false]` {
		t.Fatalf("out = %s", out)
	}
}

func TestNodeModuleShims(t *testing.T) {
	b := compileOne(t, map[string]string{"x/actions/a.ts": `
import { createAction } from 'nango';
import crypto from 'crypto';
import { createHmac } from 'node:crypto';
import { Buffer as B } from 'buffer';
export default createAction({ exec: async () => [
  crypto.createHash('sha256').update('abc').digest('hex').slice(0, 8),
  createHmac('sha384', 'k').update('v').digest('hex').length,
  B.from('hi').toString('base64'),
] });`}, "x/actions/a.ts")
	out, err := NewRuntime().Run(context.Background(), &Execution{Bundle: b, Kind: KindAction, Host: &fakeHost{}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `["ba7816bf",96,"aGk="]` {
		t.Fatalf("out = %s", out)
	}
}
