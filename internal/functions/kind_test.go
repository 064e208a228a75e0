package functions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

// Sources of each type, as Nango's templates write them.
const (
	kindSync = "import { createSync } from 'nango';\nimport { z } from 'zod';\n" +
		"export default createSync({ description: 'nodes', version: '1.0.0', frequency: 'every hour', models: { Node: z.object({ id: z.string() }) }, exec: async () => {} });\n"
	kindAction = "import { createAction } from 'nango';\nimport { z } from 'zod';\n" +
		"export default createAction({ description: 'act', version: '1.0.0', input: z.object({}), output: z.object({}), exec: async () => ({}) });\n"
	// kindSyncByConst defines the sync in a const, as a third of the
	// templates do.
	kindSyncByConst = "import { createSync } from 'nango';\nimport { z } from 'zod';\n" +
		"const sync = createSync<{ a: string }>({ frequency: 'every hour', models: { Node: z.object({ id: z.string() }) }, exec: async () => {} });\nexport default sync;\n"
	// kindHidden is a sync whose text does not say so: the creator is
	// called in a helper.
	kindHidden = "import { make } from '../helpers/make.js';\nexport default make();\n"
	kindHelper = "import { createSync } from 'nango';\nimport { z } from 'zod';\n" +
		"export function make() { return createSync({ frequency: 'every hour', models: { Node: z.object({ id: z.string() }) }, exec: async () => {} }); }\n"
)

func TestExportedType(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, src, want string }{
		{"default export", kindSync, "sync"},
		{"action", kindAction, "action"},
		{"on-event", "import { createOnEvent } from 'nango';\nexport default createOnEvent({ event: 'post-connection-creation', exec: async () => {} });\n", "on-event"},
		{"const then export", kindSyncByConst, "sync"},
		{"type arguments", "export default createAction<Input, Output>({})", "action"},
		{"nested type arguments", "const sync = createSync<Record<'Task', TaskModel>, undefined, Checkpoint>({});\nexport default sync;\n", "sync"},
		{"type literal arguments", "const sync = createSync<\n  { Commit: typeof Commit; },\n  undefined\n>({});\nexport default sync;\n", "sync"},
		// The default export decides over other calls in the file.
		{"default over others", "const a = createAction({});\nexport default createSync({});\n", "sync"},
		{"two creators, no default export", "const a = createAction({});\nconst s = createSync({});\nexport default s;\n", ""},
		{"only imported", "import { createSync } from 'nango';\n", ""},
		{"no creator", kindHidden, ""},
		{"empty", "", ""},
		{"longer identifier", "mycreateSync({});\ncreateSyncs({});\n", ""},
		{"spaces and new lines", "const a = createAction({});\nexport  default\n  createSync ({});\n", "sync"},
		{"not an export", "const a = createAction({});\nconst exportdefault = 1; reexport default createSync({});\n", ""},
		{"default export after others", "const s = createSync({});\nconst a = createAction({});\nexport default createAction({});\n", "action"},
		{"unclosed type arguments", "export default createSync<", ""},
		{"at the end", "createSync", ""},
	} {
		if got := exportedType(c.src); got != c.want {
			t.Errorf("%s: exportedType = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestDiscoverTypeFromExport: a function's type is what its source
// exports; the folder decides only when the text does not tell.
func TestDiscoverTypeFromExport(t *testing.T) {
	t.Parallel()
	refs, err := Discover(map[string]string{
		"fig/actions/nodes.ts": kindSync, "fig/syncs/act.ts": kindAction, "fig/actions/plain.ts": kindAction,
		"fig/syncs/hidden.ts": kindHidden, "fig/actions/hidden2.ts": kindHidden, "fig/syncs/byconst.ts": kindSyncByConst,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, fmt.Sprintf("%s:%s:%s:%v", r.Entry, r.Type, r.QualifiedName(), r.Misplaced()))
	}
	want := []string{
		"fig/syncs/act.ts:action:fig/actions/act:true",
		"fig/syncs/byconst.ts:sync:fig/syncs/byconst:false",
		"fig/syncs/hidden.ts:sync:fig/syncs/hidden:false",
		"fig/actions/hidden2.ts:action:fig/actions/hidden2:false",
		"fig/actions/nodes.ts:sync:fig/syncs/nodes:true",
		"fig/actions/plain.ts:action:fig/actions/plain:false",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("refs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFindMisplaced: a misplaced function is named by its type's folder,
// by its file's folder when no function of that type has the name, and
// always by its file.
func TestFindMisplaced(t *testing.T) {
	t.Parallel()
	refs, err := Discover(map[string]string{
		"fig/actions/nodes.ts": kindSync, "fig/actions/list.ts": kindAction,
		// swapped: each file exports the other folder's type.
		"sw/actions/x.ts": kindSync, "sw/syncs/x.ts": kindAction,
		// clash: two files export the sync y (the build refuses it).
		"cl/actions/y.ts": kindSync, "cl/syncs/y.ts": kindSync,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, entry, wantErr string }{
		{name: "nodes", entry: "fig/actions/nodes.ts"},
		{name: "syncs/nodes", entry: "fig/actions/nodes.ts"},
		{name: "fig/syncs/nodes", entry: "fig/actions/nodes.ts"},
		{name: "actions/nodes", entry: "fig/actions/nodes.ts"},
		{name: "fig/actions/nodes", entry: "fig/actions/nodes.ts"},
		{name: "fig/actions/nodes.ts", entry: "fig/actions/nodes.ts"},
		{name: "on-events/nodes", wantErr: `no function "on-events/nodes"`},
		// The type's folder wins over the file's.
		{name: "sw/actions/x", entry: "sw/syncs/x.ts"},
		{name: "sw/syncs/x", entry: "sw/actions/x.ts"},
		{name: "sw/syncs/x.ts", entry: "sw/syncs/x.ts"},
		{name: "sw/x", wantErr: `"sw/x" is ambiguous: say actions/x or syncs/x`},
		// Only the files tell the clash apart.
		{name: "cl/syncs/y", wantErr: `"cl/syncs/y" is ambiguous: say cl/actions/y.ts or cl/syncs/y.ts`},
		{name: "cl/actions/y.ts", entry: "cl/actions/y.ts"},
	} {
		r, err := Find(refs, c.name)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Find(%q) = %s, %v; want error %q", c.name, r.Entry, err, c.wantErr)
			}
			continue
		}
		if err != nil || r.Entry != c.entry {
			t.Errorf("Find(%q) = %s, %v; want %s", c.name, r.Entry, err, c.entry)
		}
	}
	// Every spelling Spellings gives names its function.
	for r, s := range Spellings(refs) {
		if got, err := Find(refs, s); err != nil || got != r {
			t.Errorf("Find(Spellings[%s] = %q) = %s, %v", r.Entry, s, got.Entry, err)
		}
	}
}

func TestClaims(t *testing.T) {
	t.Parallel()
	var c Claims
	for _, r := range []Ref{
		{Integration: "fig", Name: "x", Type: "sync", Entry: "fig/syncs/x.ts"},
		{Integration: "fig", Name: "x", Type: "action", Entry: "fig/syncs/x2.ts"},
		{Integration: "other", Name: "x", Type: "sync", Entry: "other/syncs/x.ts"},
		// The same file claimed again is no clash.
		{Integration: "fig", Name: "x", Type: "sync", Entry: "fig/syncs/x.ts"},
	} {
		if err := c.Claim(r); err != nil {
			t.Fatalf("Claim(%s): %v", r.Entry, err)
		}
	}
	err := c.Claim(Ref{Integration: "fig", Name: "x", Type: "sync", Entry: "fig/actions/x.ts"})
	if err == nil || !strings.Contains(err.Error(), "fig/actions/x.ts and fig/syncs/x.ts both export the sync fig/x") {
		t.Fatalf("clash: %v", err)
	}
}

// TestBuildAllTypeFromDefinition: what the build describes is the type,
// whatever Discover read from the text.
func TestBuildAllTypeFromDefinition(t *testing.T) {
	t.Parallel()
	files := map[string]string{"fig/helpers/make.ts": kindHelper, "fig/actions/hidden.ts": kindHidden, "fig/actions/nodes.ts": kindSync}
	refs, err := Discover(files)
	if err != nil {
		t.Fatal(err)
	}
	if refs[0].Entry != "fig/actions/hidden.ts" || refs[0].Type != "action" {
		t.Fatalf("Discover: %+v; want hidden.ts taken for an action by its folder", refs[0])
	}
	rt := NewRuntime()
	defer rt.Close()
	var got []string
	err = rt.BuildAll(context.Background(), files, refs, BuildOptions{}, func(b Built) error {
		if b.Err != nil {
			return b.Err
		}
		got = append(got, b.Ref.Entry+":"+b.Ref.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fig/actions/hidden.ts:sync", "fig/actions/nodes.ts:sync"}; !slices.Equal(got, want) {
		t.Fatalf("built %v, want %v", got, want)
	}
}

// memDeployments is Deployments in a map by integration/type/name.
type memDeployments struct{ stored map[string]*store.Deployment }

func (m *memDeployments) Get(_ context.Context, _, key, typ, name string) (*store.Deployment, error) {
	if d, ok := m.stored[key+"/"+typ+"/"+name]; ok {
		return d, nil
	}
	return nil, store.ErrNotFound
}

func (m *memDeployments) Put(_ context.Context, ds []*store.Deployment) error {
	for _, d := range ds {
		m.stored[d.IntegrationKey+"/"+d.Type+"/"+d.Name] = d
	}
	return nil
}

// TestDeployKeysByExportedType: Deploy stores a function under the type
// it exports, whatever its folder, and refuses two files exporting one
// function, storing nothing.
func TestDeployKeysByExportedType(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	for _, c := range []struct {
		name    string
		files   map[string]string
		only    []string
		want    []string // integration/type/name:entry stored
		wantErr string
	}{
		{
			name:  "misplaced both ways",
			files: map[string]string{"fig/actions/nodes.ts": kindSync, "fig/syncs/act.ts": kindAction, "fig/actions/list.ts": kindAction},
			want:  []string{"fig/action/act:fig/syncs/act.ts", "fig/action/list:fig/actions/list.ts", "fig/sync/nodes:fig/actions/nodes.ts"},
		},
		{
			name:  "named by its type's folder",
			files: map[string]string{"fig/actions/nodes.ts": kindSync, "fig/actions/list.ts": kindAction},
			only:  []string{"fig/syncs/nodes"},
			want:  []string{"fig/sync/nodes:fig/actions/nodes.ts"},
		},
		{
			name:  "a sync beside an action of its name",
			files: map[string]string{"fig/actions/x.ts": kindSync, "fig/syncs/x.ts": kindAction},
			want:  []string{"fig/action/x:fig/syncs/x.ts", "fig/sync/x:fig/actions/x.ts"},
		},
		{
			name:    "clash",
			files:   map[string]string{"fig/actions/x.ts": kindSync, "fig/syncs/x.ts": kindSync, "fig/actions/list.ts": kindAction},
			wantErr: "fig/actions/x.ts and fig/syncs/x.ts both export the sync fig/x",
		},
		{
			// The text says nothing; the build finds the clash.
			name:    "clash found by the build",
			files:   map[string]string{"fig/helpers/make.ts": kindHelper, "fig/actions/x.ts": kindHidden, "fig/syncs/x.ts": kindSync},
			wantErr: "fig/actions/x.ts and fig/syncs/x.ts both export the sync fig/x",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			mem := &memDeployments{stored: map[string]*store.Deployment{}}
			out, err := Deploy(context.Background(), rt, mem, "env", c.files, c.only)
			if c.wantErr != "" {
				var de *DeployError
				if !errors.As(err, &de) || de.Code != "invalid_function" || !strings.Contains(de.Message, c.wantErr) {
					t.Fatalf("err = %v; want an invalid_function saying %q", err, c.wantErr)
				}
				if len(mem.stored) != 0 {
					t.Fatalf("stored %d functions of a refused deploy", len(mem.stored))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, reported []string
			for key := range mem.stored {
				got = append(got, key)
			}
			for _, d := range out {
				reported = append(reported, d.Integration+"/"+d.Type+"/"+d.Name+":"+d.Entry)
			}
			slices.Sort(got)
			slices.Sort(reported)
			var wantKeys []string
			for _, w := range c.want {
				wantKeys = append(wantKeys, strings.SplitN(w, ":", 2)[0])
			}
			if !slices.Equal(got, wantKeys) || !slices.Equal(reported, c.want) {
				t.Fatalf("stored %v, reported %v; want %v", got, reported, c.want)
			}
		})
	}
}
