package postgres

import (
	"context"
	"testing"

	"github.com/patchbay/patchbay/internal/store/storetest"
	"github.com/patchbay/patchbay/internal/vault"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Database { return storetest.NewPostgresDatabase(t, openQuiet) })
}

// openQuiet opens the store with no logger, the shape storetest expects.
func openQuiet(ctx context.Context, databaseURL string, v *vault.Vault) (*Store, error) {
	return Open(ctx, databaseURL, v, nil)
}

func BenchmarkRecords(b *testing.B) {
	s, err := Open(b.Context(), storetest.PostgresURL(b), storetest.NewVault(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchmarkRecords(b, s)
}
