package postgres

import (
	"testing"

	"github.com/patchbay/patchbay/internal/store/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Database { return storetest.NewPostgresDatabase(t, Open) })
}
