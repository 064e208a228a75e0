package functions

import (
	"context"

	"github.com/patchbay/patchbay/internal/store"
)

// environmentVariable is the shape nango.getEnvironmentVariables()
// returns each variable in (Nango's), kept here rather than in the store's
// struct so that the functions' API and the store change independently.
type environmentVariable struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func environmentVariablesView(vars []store.EnvironmentVariable) []environmentVariable {
	if vars == nil {
		return nil
	}
	out := make([]environmentVariable, len(vars))
	for i, v := range vars {
		out[i] = environmentVariable{Name: v.Name, Value: v.Value}
	}
	return out
}

// getEnvironmentVariables serves nango.getEnvironmentVariables().
func getEnvironmentVariables(ctx context.Context, h Host) (any, error) {
	vars, err := h.EnvironmentVariables(ctx)
	return environmentVariablesView(vars), err
}
