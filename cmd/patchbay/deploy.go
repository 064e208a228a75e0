package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/functions"
)

func (d *devCLI) deployCommand() *cobra.Command {
	var sf serverFlags
	var actions, syncs []string
	var prune bool
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy the project's functions to a Patchbay server",
		Long: "Send the project's sources to the server (--host), which compiles and deploys every\n" +
			"function, or only those named with --action and --sync. Deployed functions the project no\n" +
			"longer has are listed and kept; --prune removes them. The secret key is read from\n" +
			secretKeyHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Sources only: test data is never sent (uploadFiles).
			p, err := loadSources(sf.dir)
			if err != nil {
				return err
			}
			var names []string
			for _, want := range []struct {
				typ   string
				names []string
			}{{"action", actions}, {"sync", syncs}} {
				// --sync settings means the sync even when an action
				// shares the name.
				var ofType []functions.Ref
				for _, r := range p.refs {
					if r.Type == want.typ {
						ofType = append(ofType, r)
					}
				}
				for _, n := range want.names {
					r, err := functions.Find(ofType, n)
					if err != nil {
						if other, oerr := functions.Find(p.refs, n); oerr == nil {
							return fmt.Errorf("%s is %s, not %s", other.FullName(), article(other.Type), article(want.typ))
						}
						return err
					}
					// The qualified name is the one the server cannot
					// read as another function.
					names = append(names, r.QualifiedName())
				}
			}
			if prune && len(names) > 0 {
				return usageError{errorf("--prune removes what the project no longer has, so it deploys the whole project: drop --action and --sync")}
			}
			if len(p.refs) == 0 {
				_, err := p.pick(nil)
				return err
			}
			c, host, err := d.client(sf)
			if err != nil {
				return err
			}
			done := progress(d.stderr, fmt.Sprintf("deploying to %s…", host))
			res, err := c.DeployFunctionsWith(cmd.Context(), p.uploadFiles(), client.DeployOptions{Functions: names, Prune: prune})
			done()
			if err != nil {
				if d.printCompileError(err) {
					return withHint(errors.New("nothing was deployed: the functions do not compile (errors above)"),
						"Fix them; `patchbay compile` checks the project without a server.")
				}
				return serverError(err, host, sf.env)
			}
			u := d.ui
			for _, f := range res.Deployed {
				state := u.green("deployed")
				if !f.Changed {
					state = u.dim("unchanged")
				}
				fmt.Fprintf(d.stdout, "%s %s/%s  %s  %s  %s\n", u.green("✓"), f.Integration, f.Name, u.dim(f.Type), u.dim(cmpOr(f.Version, "(no version)")), state)
				// The server says which file it built (an older one does
				// not): its folder may not be its type's.
				if f.Entry != "" {
					d.warnMisplaced(functions.Ref{Integration: f.Integration, Name: f.Name, Type: f.Type, Entry: f.Entry})
				}
			}
			for _, f := range res.Removed {
				fmt.Fprintf(d.stdout, "%s %s/%s  %s  %s  %s\n", u.green("✓"), f.Integration, f.Name, u.dim(f.Type), u.dim(cmpOr(f.Version, "(no version)")), u.yellow("removed"))
			}
			fmt.Fprintf(d.stdout, "Deployed %d functions to %s (%s)", len(res.Deployed), host, sf.env)
			if len(res.Removed) > 0 {
				fmt.Fprintf(d.stdout, ", removed %d", len(res.Removed))
			}
			fmt.Fprintln(d.stdout)
			if len(res.NotInProject) > 0 {
				// Kept: removing a sync deletes its records, which only
				// --prune says to do.
				what := fmt.Sprintf("%d deployed functions are", len(res.NotInProject))
				if len(res.NotInProject) == 1 {
					what = "1 deployed function is"
				}
				fmt.Fprintf(d.stderr, "%s %s not in the project any more, and kept:\n", u.yellow("!"), what)
				for _, f := range res.NotInProject {
					fmt.Fprintf(d.stderr, "  %s/%s  %s\n", f.Integration, f.Name, u.dim(f.Type))
				}
				fmt.Fprintf(d.stderr, "`patchbay deploy --prune` removes them (a sync's records with it); `patchbay undeploy` removes one.\n")
			}
			return nil
		},
	}
	sf.register(cmd, "the environment to deploy to (dev, prod, …)")
	f := cmd.Flags()
	f.StringSliceVar(&actions, "action", nil, "deploy only this action (repeatable)")
	f.StringSliceVar(&syncs, "sync", nil, "deploy only this sync (repeatable)")
	f.BoolVar(&prune, "prune", false, "also remove the deployed functions the project no longer has (a sync's records with it)")
	return cmd
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
