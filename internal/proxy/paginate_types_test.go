package proxy

import (
	"maps"
	"slices"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
)

// The catalog accepts exactly the pagination types registered here: a
// type only one side knows would either load and fail at the first
// request, or never load.
func TestPaginationTypesMatchCatalog(t *testing.T) {
	t.Parallel()
	got := slices.Sorted(maps.Keys(paginationTypes))
	if want := catalog.PaginationTypes(); !slices.Equal(got, want) {
		t.Errorf("registered pagination types %v, the catalog accepts %v", got, want)
	}
}
