package functions

import (
	"encoding/json"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

// TestEnvironmentVariablesView pins what nango.getEnvironmentVariables()
// returns: Nango's [{name, value}].
func TestEnvironmentVariablesView(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars []store.EnvironmentVariable
		want string
	}{
		{[]store.EnvironmentVariable{{Name: "A", Value: "1"}, {Name: "B", Value: ""}}, `[{"name":"A","value":"1"},{"name":"B","value":""}]`},
		{[]store.EnvironmentVariable{}, `[]`},
	} {
		b, err := json.Marshal(environmentVariablesView(tc.vars))
		if err != nil || string(b) != tc.want {
			t.Errorf("view of %+v = %s, %v; want %s", tc.vars, b, err, tc.want)
		}
	}
}
