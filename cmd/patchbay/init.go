package main

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/functions/dts"
)

func (d *devCLI) initCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Create a functions project with an example GitHub action, sync and tests",
		Long: "Create a functions project in Nango's layout (default: the current directory): an example\n" +
			"GitHub action and sync, their test fixtures, tsconfig.json, package.json and the types of\n" +
			"the nango module. Existing files are left alone unless --force.",
		Args: maxArgs(1, "the directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return d.runInit(dir, force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}

// scaffoldFiles lists the project init writes: path in the project →
// contents. Dot files are stored as dot-<name> (embed skips dot files).
func scaffoldFiles() (map[string][]byte, error) {
	out := map[string][]byte{typesPath: []byte(dts.NangoDTS)}
	err := fs.WalkDir(scaffold, "scaffold", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "scaffold/")
		dir, name := path.Split(rel)
		if rest, ok := strings.CutPrefix(name, "dot-"); ok {
			name = "." + rest
		}
		out[dir+name] = b
		return nil
	})
	return out, err
}

func (d *devCLI) runInit(dir string, force bool) error {
	files, err := scaffoldFiles()
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(files))
	var existing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
			existing = append(existing, n)
		}
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("%s already has %s: use --force to overwrite", dir, strings.Join(existing, ", "))
	}
	for _, n := range names {
		target := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, files[n], 0o644); err != nil {
			return err
		}
	}
	u := d.ui
	fmt.Fprintf(d.stdout, "%s Created a functions project in %s:\n", u.green("✓"), dir)
	for _, n := range names {
		fmt.Fprintf(d.stdout, "  %s\n", n)
	}
	fmt.Fprintf(d.stdout, "\nNext:\n")
	if dir != "." {
		fmt.Fprintf(d.stdout, "  cd %s\n", dir)
	}
	fmt.Fprintf(d.stdout, "  patchbay compile     # bundle and check the functions\n")
	fmt.Fprintf(d.stdout, "  patchbay test        # run them against tests/*.test.json\n")
	fmt.Fprintf(d.stdout, "  npm install          # zod and typescript types for your editor (optional)\n")
	fmt.Fprintf(d.stdout, "  cp .env.example .env # then patchbay dryrun / patchbay deploy against a server\n")
	return nil
}
