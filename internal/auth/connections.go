package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// Nango's limits on connection and end-user tags.
const (
	maxTags        = 10
	maxTagKeyLen   = 64
	maxTagValueLen = 255
	// MaxEndUserLength bounds end-user ids, e-mails and display names,
	// and their organizations' ids and names.
	MaxEndUserLength = 255
)

// Page sizes of List.
const (
	defaultListLimit = 100
	// MaxListLimit is the largest page List returns.
	MaxListLimit = 1000
)

// tagKeyPattern is Nango's: keys start with a letter; they are stored
// lowercased.
var tagKeyPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_\-./]*$`)

// invalid is a 400 naming the request member at fault. It never quotes
// the member's value, which may be a secret.
func invalid(field []string, format string, args ...any) *Error {
	return &Error{Kind: fault.Invalid, Message: strings.Join(field, ".") + ": " + fmt.Sprintf(format, args...), Field: field}
}

func unknownConnection(integrationKey, connectionID string) *Error {
	return errorf(fault.NotFound, "unknown_connection", "connection %q of integration %q does not exist", connectionID, integrationKey)
}

// field appends name to a member path without sharing the caller's array.
func field(path []string, name ...string) []string {
	return append(slices.Clip(path), name...)
}

// NormalizeTags checks connection (or end-user) tags against Nango's rules
// (at most 10; keys start with a letter and hold letters, digits and
// _ - . /, up to 64 characters; values 1–255 characters; the
// end_user_email tag is an e-mail address) and returns them with keys
// lowercased, as they are stored. path names the tags member in errors.
func NormalizeTags(tags map[string]string, path ...string) (map[string]string, error) {
	if len(path) == 0 {
		path = []string{"tags"}
	}
	if len(tags) > maxTags {
		return nil, invalid(path, "at most %d tags are allowed", maxTags)
	}
	out := make(map[string]string, len(tags))
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		value := tags[key]
		p := field(path, key)
		switch {
		case len(key) > maxTagKeyLen:
			return nil, invalid(p, "tag keys must be at most %d characters", maxTagKeyLen)
		case !tagKeyPattern.MatchString(key):
			return nil, invalid(p, "tag keys must start with a letter and contain only letters, digits, _ - . /")
		case value == "":
			return nil, invalid(p, "tag values must not be empty")
		case len(value) > maxTagValueLen:
			return nil, invalid(p, "tag values must be at most %d characters", maxTagValueLen)
		}
		lower := strings.ToLower(key)
		if _, dup := out[lower]; dup {
			return nil, invalid(p, "duplicates tag %q once keys are lowercased", lower)
		}
		if lower == "end_user_email" && !isEmail(value) {
			return nil, invalid(p, "the end_user_email tag must be an e-mail address")
		}
		out[lower] = value
	}
	return out, nil
}

func isEmail(s string) bool {
	if len(s) < 5 || len(s) > MaxEndUserLength {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// CheckOrganization is the rule of an organization, an end user's or one
// given beside it: an id that is not blank, and an id and a name of at
// most MaxEndUserLength. The problem's path is below path, where the
// organization is in the request.
func CheckOrganization(o *store.Organization, path ...any) *fault.Problem {
	at := func(member string) []any { return append(slices.Clip(path), member) }
	tooBig := fmt.Sprintf("must be at most %d characters", MaxEndUserLength)
	switch {
	case strings.TrimSpace(o.ID) == "":
		return &fault.Problem{Code: "too_small", Message: "must not be empty", Path: at("id")}
	case len(o.ID) > MaxEndUserLength:
		return &fault.Problem{Code: "too_big", Message: tooBig, Path: at("id")}
	case len(o.DisplayName) > MaxEndUserLength:
		return &fault.Problem{Code: "too_big", Message: tooBig, Path: at("display_name")}
	}
	return nil
}

// NormalizeEndUser checks an end user (id required; e-mail, display name,
// tags and organization as Nango allows them) and returns a copy with
// normalized tags. path names the end_user member in errors.
func NormalizeEndUser(u *store.EndUser, path ...string) (*store.EndUser, error) {
	if len(path) == 0 {
		path = []string{"end_user"}
	}
	out := *u
	switch {
	case strings.TrimSpace(u.ID) == "":
		return nil, invalid(field(path, "id"), "is required")
	case len(u.ID) > MaxEndUserLength:
		return nil, invalid(field(path, "id"), "must be at most %d characters", MaxEndUserLength)
	case u.Email != "" && !isEmail(u.Email):
		return nil, invalid(field(path, "email"), "must be an e-mail address")
	case len(u.DisplayName) > MaxEndUserLength:
		return nil, invalid(field(path, "display_name"), "must be at most %d characters", MaxEndUserLength)
	}
	if u.Tags != nil {
		tags, err := NormalizeTags(u.Tags, field(path, "tags")...)
		if err != nil {
			return nil, err
		}
		out.Tags = tags
	}
	if o := u.Organization; o != nil {
		if p := CheckOrganization(o); p != nil {
			msg := p.Message
			if p.Code == "too_small" {
				msg = "is required" // worded as the end user's own missing id
			}
			return nil, invalid(field(path, "organization", p.Path[0].(string)), "%s", msg)
		}
		org := *o
		out.Organization = &org
	}
	return &out, nil
}

// List returns the connections f selects, newest first. A zero Limit means
// 100; tag filters match the lowercased keys tags are stored under.
func (s *Service) List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error) {
	if f.Limit == 0 {
		f.Limit = defaultListLimit
	}
	if f.Limit < 1 || f.Limit > MaxListLimit {
		return nil, &Error{Kind: fault.Invalid,
			Message: fmt.Sprintf("limit must be between 1 and %d", MaxListLimit), Field: []string{"limit"}}
	}
	if f.Page < 0 {
		return nil, &Error{Kind: fault.Invalid, Message: "page must be 0 or more", Field: []string{"page"}}
	}
	if len(f.Tags) > 0 {
		tags := make(map[string]string, len(f.Tags))
		for k, v := range f.Tags {
			tags[strings.ToLower(k)] = v
		}
		f.Tags = tags
	}
	list, err := s.conns.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return list, nil
}

// Delete removes a connection; unknown_connection (404) if there is none.
func (s *Service) Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error {
	err := s.conns.Delete(ctx, environmentID, integrationKey, connectionID)
	if errors.Is(err, store.ErrNotFound) {
		return unknownConnection(integrationKey, connectionID)
	}
	if err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "connection deleted", "integration", integrationKey, "connection_id", connectionID)
	return nil
}

// PatchInput changes what a customer may change about a connection after
// it was authorised. Nil members stay as they are; an empty Tags map
// removes every tag.
type PatchInput struct {
	EndUser *store.EndUser
	Tags    map[string]string
}

// Patch validates in and applies it to a connection.
func (s *Service) Patch(ctx context.Context, environmentID, integrationKey, connectionID string, in PatchInput) (*store.Connection, error) {
	var tags map[string]string
	if in.Tags != nil {
		var err error
		if tags, err = NormalizeTags(in.Tags); err != nil {
			return nil, err
		}
	}
	var endUser *store.EndUser
	if in.EndUser != nil {
		var err error
		if endUser, err = NormalizeEndUser(in.EndUser); err != nil {
			return nil, err
		}
	}
	c, err := s.lookUp(ctx, environmentID, integrationKey, connectionID)
	if err != nil {
		return nil, err
	}
	updated, err := s.conns.Update(ctx, c.ID, func(cur *store.Connection) error {
		if tags != nil {
			cur.Tags = tags
		}
		if endUser != nil {
			cur.EndUser = endUser
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, unknownConnection(integrationKey, connectionID)
	}
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// SetMetadata replaces (merge=false) or shallow-merges (merge=true) the
// metadata of one or more connections of an integration. Every connection
// must exist: the first unknown one fails the call before any is changed.
// Each connection is then written on its own, so a failure part-way leaves
// the earlier ones changed.
func (s *Service) SetMetadata(ctx context.Context, environmentID, integrationKey string, connectionIDs []string, metadata map[string]any, merge bool) ([]*store.Connection, error) {
	if len(connectionIDs) == 0 {
		return nil, invalid([]string{"connection_id"}, "at least one connection id is required")
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	var conns []*store.Connection
	seen := make(map[string]bool, len(connectionIDs))
	for _, id := range connectionIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := s.lookUp(ctx, environmentID, integrationKey, id)
		var ae *Error
		if errors.As(err, &ae) && len(connectionIDs) > 1 {
			ae.Message += "; no connection was changed"
		}
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}
	out := make([]*store.Connection, 0, len(conns))
	for _, c := range conns {
		updated, err := s.conns.Update(ctx, c.ID, func(cur *store.Connection) error {
			next := map[string]any{}
			if merge {
				maps.Copy(next, cur.Metadata)
			}
			maps.Copy(next, metadata)
			cur.Metadata = next
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil, unknownConnection(integrationKey, c.ConnectionID)
		}
		if err != nil {
			return nil, fmt.Errorf("set metadata of connection %q: %w", c.ConnectionID, err)
		}
		out = append(out, updated)
	}
	return out, nil
}

// lookUp loads a connection without refreshing it.
func (s *Service) lookUp(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error) {
	c, err := s.conns.Get(ctx, environmentID, integrationKey, connectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, unknownConnection(integrationKey, connectionID)
	}
	return c, err
}
