package functions

import (
	"embed"
	"fmt"
	"path"

	"github.com/evanw/esbuild/pkg/api"
)

// js holds our own modules: the host bridge, the globals, zod and nango.
//
//go:embed js/*.js
var js embed.FS

// preludeJS bundles js/prelude.js and what it imports into one script.
func preludeJS() (string, error) {
	plugin := api.Plugin{
		Name: "patchbay-prelude",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				p := path.Join("js", path.Base(a.Path))
				if _, err := js.Open(p); err != nil {
					return api.OnResolveResult{}, fmt.Errorf("prelude: no module %s", a.Path)
				}
				return api.OnResolveResult{Path: p, Namespace: "prelude"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "prelude"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				b, err := js.ReadFile(a.Path)
				if err != nil {
					return api.OnLoadResult{}, err
				}
				s := string(b)
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderJS}, nil
			})
		},
	}
	res := api.Build(api.BuildOptions{
		EntryPoints: []string{"prelude.js"},
		Bundle:      true,
		Write:       false,
		Format:      api.FormatIIFE,
		Target:      api.ES2022,
		Platform:    api.PlatformNeutral,
		Charset:     api.CharsetUTF8,
		LogLevel:    api.LogLevelSilent,
		Plugins:     []api.Plugin{plugin},
	})
	if len(res.Errors) > 0 {
		return "", compileError(res.Errors)
	}
	return string(res.OutputFiles[0].Contents), nil
}
