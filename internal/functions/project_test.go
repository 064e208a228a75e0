package functions

import (
	"strings"
	"testing"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	refs, err := Discover(map[string]string{
		"github/actions/create-issue.ts": "", "github/syncs/issues.ts": "", "github/on-events/post-connection.ts": "",
		"github/helpers/x.ts": "", "github/tests/issues.test.json": "", "index.ts": "", "slack/actions/create-issue.ts": "",
		"github/actions/types.d.ts": "", "github/tests/issues.test.ts": "",
		// An action and a sync may share a name, as in Nango.
		"calendar/actions/settings.ts": "", "calendar/syncs/settings.ts": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range refs {
		names = append(names, r.QualifiedName()+":"+r.Type)
	}
	want := "calendar/actions/settings:action calendar/syncs/settings:sync github/actions/create-issue:action github/syncs/issues:sync " +
		"github/on-events/post-connection:on-event slack/actions/create-issue:action"
	if strings.Join(names, " ") != want {
		t.Fatalf("refs = %v\nwant %s", names, want)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	refs, err := Discover(map[string]string{
		"github/actions/create-issue.ts": "", "github/syncs/issues.ts": "", "slack/actions/create-issue.ts": "",
		"calendar/actions/settings.ts": "", "calendar/syncs/settings.ts": "", "calendar/on-events/settings.ts": "",
		"other/syncs/settings.ts": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, entry string
		wantErr     []string
	}{
		{name: "issues", entry: "github/syncs/issues.ts"},
		{name: "github/issues", entry: "github/syncs/issues.ts"},
		{name: "syncs/issues", entry: "github/syncs/issues.ts"},
		{name: "github/syncs/issues", entry: "github/syncs/issues.ts"},
		{name: "slack/create-issue", entry: "slack/actions/create-issue.ts"},
		{name: "create-issue", wantErr: []string{`"create-issue" is ambiguous`, "github/create-issue or slack/create-issue"}},
		{name: "actions/create-issue", wantErr: []string{"ambiguous", "github/create-issue or slack/create-issue"}},
		{name: "calendar/actions/settings", entry: "calendar/actions/settings.ts"},
		{name: "calendar/syncs/settings", entry: "calendar/syncs/settings.ts"},
		{name: "actions/settings", entry: "calendar/actions/settings.ts"},
		{name: "on-events/settings", entry: "calendar/on-events/settings.ts"},
		// The type tells the action from the on-event; the integration
		// then tells the two syncs apart.
		{name: "syncs/settings", wantErr: []string{"ambiguous", "calendar/syncs/settings or other/settings"}},
		{name: "calendar/settings", wantErr: []string{"ambiguous", "actions/settings, on-events/settings or calendar/syncs/settings"}},
		{name: "settings", wantErr: []string{"ambiguous", "actions/settings, on-events/settings, calendar/syncs/settings or other/settings"}},
		{name: "missing", wantErr: []string{`no function "missing"`}},
		{name: "github/actions/issues", wantErr: []string{"no function"}},
		{name: "actions/issues", wantErr: []string{"no function"}},
	} {
		r, err := Find(refs, c.name)
		if c.wantErr == nil {
			if err != nil || r.Entry != c.entry {
				t.Errorf("Find(%q) = %v, %v; want %s", c.name, r.Entry, err, c.entry)
			}
			continue
		}
		for _, w := range c.wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Find(%q) error = %v; want it to say %q", c.name, err, w)
			}
		}
	}
}
