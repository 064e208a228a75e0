package auth

import (
	"fmt"
	"regexp"

	"github.com/patchbay/patchbay/internal/fault"
)

// MaxIDLength bounds a connection id (and the ids and search terms the
// connection list is filtered by).
const MaxIDLength = 255

// connectionIDPattern is Nango's: loose, because customers put e-mails and
// JSON in connection ids.
var connectionIDPattern = regexp.MustCompile(`^[a-zA-Z0-9,.;:=+~\[\]|@${}"'\\/_ -]+$`)

// CheckConnectionID returns what is wrong with a connection id a caller
// chose, at path, or nil.
func CheckConnectionID(id string, path ...any) *fault.Problem {
	switch {
	case id == "":
		return &fault.Problem{Code: "too_small", Message: "must not be empty", Path: path}
	case len(id) > MaxIDLength:
		return &fault.Problem{Code: "too_big", Message: fmt.Sprintf("must be at most %d characters", MaxIDLength), Path: path}
	case !connectionIDPattern.MatchString(id):
		return &fault.Problem{Code: "invalid_string", Message: "may contain only letters, digits, spaces and , . ; : = + ~ [ ] | @ $ { } \" ' \\ / _ -", Path: path}
	}
	return nil
}
