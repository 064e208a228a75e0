package catalog

import "strings"

// Pagination types: the values of proxy.paginate.type. The catalog
// refuses any other when it loads; internal/proxy registers one
// implementation under each name (a test there keeps the two in step).
const (
	PaginateCursor = "cursor"
	PaginateLink   = "link"
	PaginateOffset = "offset"
)

// PaginationTypes returns the pagination type names, sorted.
func PaginationTypes() []string {
	return []string{PaginateCursor, PaginateLink, PaginateOffset}
}

// paginationTypeList names the types for an error message: "cursor, link
// or offset".
func paginationTypeList() string {
	names := PaginationTypes()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
