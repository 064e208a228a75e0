package functions

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// BuildCache keeps what compiling and describing functions produced, on
// disk, so that building a project again only redoes the functions whose
// sources changed. An entry is found by the function's entry path and
// trusted only if every file the compile read has the same contents
// (Bundle.Hash is their hash) and every import it resolved resolves to
// the same file among today's sources: a bundle and a definition are a
// function of those alone, for one compiler. Entries of another compiler
// (another build of Patchbay) are never read.
//
// Failures are not kept: a function that does not compile or describe is
// built again next time, and reports its errors again.
//
// A BuildCache is safe for concurrent use, also by several processes:
// entries are written whole, by rename.
type BuildCache struct {
	dir     string // this compiler's entries
	version string
}

// buildCacheFormat changes when an entry's layout does.
const buildCacheFormat = "1"

// OpenBuildCache returns the cache in dir for the compiler named version
// (CompilerVersion), creating dir if need be. The entries of other
// versions there are removed: they would never be read again.
func OpenBuildCache(dir, version string) (*BuildCache, error) {
	sum := sha256.Sum256([]byte(buildCacheFormat + "\x00" + version))
	name := hex.EncodeToString(sum[:8])
	own := filepath.Join(dir, name)
	if err := os.MkdirAll(own, 0o755); err != nil {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	if others, err := os.ReadDir(dir); err == nil {
		for _, e := range others {
			if e.IsDir() && e.Name() != name {
				// Best effort: a stale directory costs only disk.
				_ = os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return &BuildCache{dir: own, version: version}, nil
}

// CompilerVersion names this build of Patchbay's compiler for a
// BuildCache: the hash of the running executable, which holds esbuild,
// the shims, the prelude and QuickJS. It changes with any rebuild, which
// is more often than the compiler does, but never too seldom. Without a
// readable executable it falls back to the module versions Go recorded.
var CompilerVersion = sync.OnceValue(func() string {
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				return "exe:" + hex.EncodeToString(h.Sum(nil))
			}
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		return "build:" + bi.String()
	}
	return "unknown"
})

// cacheEntry is one function's file in the cache.
type cacheEntry struct {
	Version    string          `json:"version"`
	Entry      string          `json:"entry"`
	Trace      trace           `json:"trace"`
	JS         string          `json:"js"`
	Hash       string          `json:"hash"`
	SourceMap  string          `json:"sourceMap"`
	Definition json.RawMessage `json:"definition"`
}

func (c *BuildCache) path(entry string) string {
	sum := sha256.Sum256([]byte(entry))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".json")
}

// get returns entry's bundle and definition if the cache has them for
// today's files. An unreadable or damaged entry is a miss.
func (c *BuildCache) get(files map[string]string, entry string) (*Bundle, *Definition, bool) {
	raw, err := os.ReadFile(c.path(entry))
	if err != nil {
		return nil, nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(raw, &e); err != nil || e.Version != c.version || e.Entry != entry || e.JS == "" || e.Hash == "" {
		return nil, nil, false
	}
	loaded := make(map[string]bool, len(e.Trace.Loaded))
	for _, name := range e.Trace.Loaded {
		if _, ok := files[name]; !ok {
			return nil, nil, false
		}
		loaded[name] = true
	}
	if !loaded[entry] || hashSources(files, loaded) != e.Hash {
		return nil, nil, false
	}
	for _, im := range e.Trace.Imports {
		res, err := resolve(files, entry, api.OnResolveArgs{Path: im.Path, Importer: im.Importer, Kind: api.ResolveJSImportStatement})
		if err != nil || res.Path != im.Resolved || res.Namespace != im.Namespace {
			return nil, nil, false
		}
	}
	var def Definition
	if err := json.Unmarshal(e.Definition, &def); err != nil {
		return nil, nil, false
	}
	return &Bundle{JS: e.JS, Hash: e.Hash, SourceMap: e.SourceMap}, &def, true
}

// put stores what building entry produced.
func (c *BuildCache) put(entry string, tr *trace, b *Bundle, def *Definition) error {
	d, err := json.Marshal(def)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(cacheEntry{Version: c.version, Entry: entry, Trace: *tr, JS: b.JS, Hash: b.Hash, SourceMap: b.SourceMap, Definition: d})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(c.dir, ".entry-*")
	if errors.Is(err, fs.ErrNotExist) {
		// Removed under us (another version's OpenBuildCache): make it
		// again.
		if err = os.MkdirAll(c.dir, 0o755); err == nil {
			f, err = os.CreateTemp(c.dir, ".entry-*")
		}
	}
	if err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	_, err = f.Write(raw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path(entry))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("build cache: %w", err)
	}
	return nil
}
