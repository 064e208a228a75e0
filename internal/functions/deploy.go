package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Limits of one deploy request: a project is source code, not data.
const (
	MaxDeployFiles = 2000
	MaxDeployBytes = 20 << 20
)

// Deployed reports one function of a deploy.
type Deployed = wire.Deployed

// DeployError is a deploy refused before anything was stored: bad files
// (Field names the file), compile errors (Positions) or a definition that
// does not fit its place.
type DeployError struct {
	Code      string
	Message   string
	Field     string
	Positions []Position
}

func (e *DeployError) Error() string { return e.Message }

// FaultKind is what sort of refusal this is: a folder that names no
// integration is NotFound, anything else is Invalid input.
func (e *DeployError) FaultKind() fault.Kind {
	if e.Code == "unknown_integration" {
		return fault.NotFound
	}
	return fault.Invalid
}

var functionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// CheckFiles validates the paths and sizes of a project's files.
func CheckFiles(files map[string]string) error {
	if len(files) == 0 {
		return &DeployError{Code: "invalid_body", Message: "files must name at least one file", Field: "files"}
	}
	if len(files) > MaxDeployFiles {
		return &DeployError{Code: "invalid_body", Message: fmt.Sprintf("at most %d files", MaxDeployFiles), Field: "files"}
	}
	total := 0
	for p, text := range files {
		total += len(p) + len(text)
		if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return &DeployError{Code: "invalid_body", Message: "file paths must be relative, clean and use forward slashes", Field: "files." + p}
		}
	}
	if total > MaxDeployBytes {
		return &DeployError{Code: "invalid_body", Message: fmt.Sprintf("the files exceed %d MiB", MaxDeployBytes>>20), Field: "files"}
	}
	return nil
}

// Build compiles and describes one function of files, checking its
// definition. Its type is the definition's, whatever its folder.
func Build(ctx context.Context, rt *Runtime, files map[string]string, ref Ref) (*Bundle, *Definition, error) {
	if err := checkName(ref); err != nil {
		return nil, nil, err
	}
	b, err := Compile(Source{Files: files, Entry: ref.Entry})
	var def *Definition
	if err == nil {
		def, err = rt.Describe(ctx, b)
	}
	return checkBuilt(ref, b, def, err)
}

func checkName(ref Ref) error {
	if !functionName.MatchString(ref.Name) {
		return &DeployError{Code: "invalid_function", Message: fmt.Sprintf("%s: a function name is letters, digits, '-' and '_'", ref.Entry), Field: "files." + ref.Entry}
	}
	return nil
}

// checkBuilt turns what compiling and describing ref gave (err from
// either) into Build's result.
func checkBuilt(ref Ref, b *Bundle, def *Definition, err error) (*Bundle, *Definition, error) {
	if err != nil {
		if ce, ok := IsCompileError(err); ok {
			return nil, nil, &DeployError{Code: "compile_error", Message: ce.Error(), Positions: ce.Errors}
		}
		var f *Failure
		if errors.As(err, &f) {
			return nil, nil, &DeployError{Code: "invalid_function", Message: fmt.Sprintf("%s: %s", ref.Entry, f.Message), Field: "files." + ref.Entry}
		}
		return nil, nil, err
	}
	// A definition of another type than the folder's is fine (Nango
	// compiles figma's actions/file-nodes.ts as a sync): the caller keys
	// the function by def.Type.
	if def.Type == "sync" {
		if _, err := ParseFrequency(def.Frequency); err != nil {
			return nil, nil, &DeployError{Code: "invalid_function", Field: "files." + ref.Entry, Message: fmt.Sprintf("%s: %v", ref.Entry, err)}
		}
	}
	return b, def, nil
}

// Deployments are where Deploy reads what is live and stores what it
// compiled (store.Deployments, or its cache, has them), keyed by
// integration, type and name.
type Deployments interface {
	Get(ctx context.Context, environmentID, integrationKey, typ, name string) (*store.Deployment, error)
	Put(ctx context.Context, deployments []*store.Deployment) error
}

// Deploy compiles the functions of files (those named in only, or all)
// and stores them for environmentID, all or none: any error leaves what
// was live untouched.
func Deploy(ctx context.Context, rt *Runtime, deployments Deployments, environmentID string, files map[string]string, only []string) ([]Deployed, error) {
	if err := CheckFiles(files); err != nil {
		return nil, err
	}
	refs, err := Discover(files)
	if err != nil {
		return nil, &DeployError{Code: "invalid_body", Message: err.Error(), Field: "files"}
	}
	if len(only) > 0 {
		var picked []Ref
		seen := map[string]bool{}
		for i, name := range only {
			r, err := Find(refs, name)
			if err != nil {
				return nil, &DeployError{Code: "unknown_function", Message: err.Error(), Field: fmt.Sprintf("functions.%d", i)}
			}
			// By file: two files may claim one qualified name, which
			// the build then refuses (Claims).
			if !seen[r.Entry] {
				seen[r.Entry] = true
				picked = append(picked, r)
			}
		}
		refs = picked
	}
	if len(refs) == 0 {
		return nil, &DeployError{Code: "invalid_body", Field: "files",
			Message: "no functions found: a function is <integration>/actions/<name>.ts, <integration>/syncs/<name>.ts or <integration>/on-events/<name>.ts"}
	}
	var all []*store.Deployment
	var out []Deployed
	var positions []Position
	var claims Claims
	// Built in parallel, handled in refs' order: the first error is the
	// one a build one by one would have met first.
	err = rt.BuildAll(ctx, files, refs, BuildOptions{}, func(built Built) error {
		ref := built.Ref
		if err := checkName(ref); err != nil {
			return err
		}
		b, def, err := checkBuilt(ref, built.Bundle, built.Definition, built.Err)
		if err != nil {
			var de *DeployError
			if errors.As(err, &de) && de.Code == "compile_error" {
				// Report every function's compile errors at once.
				positions = append(positions, de.Positions...)
				return nil
			}
			return err
		}
		// built.Ref has the definition's type: the key it is stored by.
		ref = built.Ref
		if err := claims.Claim(ref); err != nil {
			return &DeployError{Code: "invalid_function", Field: "files." + ref.Entry, Message: err.Error()}
		}
		defJSON, err := json.Marshal(def)
		if err != nil {
			return fmt.Errorf("encode the definition of %s: %w", ref.QualifiedName(), err)
		}
		changed := true
		if old, err := deployments.Get(ctx, environmentID, ref.Integration, def.Type, ref.Name); err == nil {
			changed = old.SourceHash != b.Hash || old.Version != def.Version
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read deployment %s: %w", ref.QualifiedName(), err)
		}
		all = append(all, &store.Deployment{
			EnvironmentID: environmentID, IntegrationKey: ref.Integration, Name: ref.Name, Type: def.Type,
			Version: def.Version, SourceHash: b.Hash, Bundle: b.JS, Definition: defJSON, SourceMap: b.SourceMap,
		})
		out = append(out, Deployed{Integration: ref.Integration, Name: ref.Name, Type: def.Type, Entry: ref.Entry, Version: def.Version, SourceHash: b.Hash, Changed: changed})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(positions) > 0 {
		msgs := make([]string, len(positions))
		for i, p := range positions {
			msgs[i] = p.String()
		}
		return nil, &DeployError{Code: "compile_error", Message: strings.Join(msgs, "\n"), Positions: positions}
	}
	if err := deployments.Put(ctx, all); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &DeployError{Code: "unknown_integration", Field: "files",
				Message: "every function's folder must be named after an integration of this environment (its unique key): " + err.Error()}
		}
		return nil, fmt.Errorf("store deployments: %w", err)
	}
	return out, nil
}
