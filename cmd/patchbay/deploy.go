package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/functions"
)

func (d *devCLI) deployCommand() *cobra.Command {
	var dir, envName string
	var actions, syncs []string
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy the project's functions to a Patchbay server",
		Long: "Send the project's sources to PATCHBAY_HOST (default " + defaultHost + "), which compiles\n" +
			"and deploys every function, or only those named with --action and --sync. The secret key\n" +
			"is PATCHBAY_SECRET_KEY_<ENV> or PATCHBAY_SECRET_KEY, from the environment or the project's .env.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := loadProject(dir)
			if err != nil {
				return err
			}
			var names []string
			for _, want := range []struct {
				typ   string
				names []string
			}{{"action", actions}, {"sync", syncs}} {
				for _, n := range want.names {
					r, err := functions.Find(p.refs, n)
					if err != nil {
						return err
					}
					if r.Type != want.typ {
						return fmt.Errorf("%s is %s, not %s", r.FullName(), article(r.Type), article(want.typ))
					}
					names = append(names, r.FullName())
				}
			}
			if len(p.refs) == 0 {
				_, err := p.pick(nil)
				return err
			}
			c, host, err := d.client(dir, envName)
			if err != nil {
				return err
			}
			res, err := c.DeployFunctions(cmd.Context(), p.uploadFiles(), names)
			if err != nil {
				if d.printCompileError(err) {
					return errors.New("nothing was deployed: the functions do not compile")
				}
				return err
			}
			u := d.ui
			for _, f := range res.Deployed {
				state := u.green("deployed")
				if !f.Changed {
					state = u.dim("unchanged")
				}
				fmt.Fprintf(d.stdout, "%s %s/%s  %s  %s  %s\n", u.green("✓"), f.Integration, f.Name, u.dim(f.Type), u.dim(cmpOr(f.Version, "(no version)")), state)
			}
			fmt.Fprintf(d.stdout, "Deployed %d functions to %s (%s)\n", len(res.Deployed), host, envName)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", ".", "the project's directory")
	f.StringVar(&envName, "env", "dev", "the environment to deploy to (dev, prod, …)")
	f.StringSliceVar(&actions, "action", nil, "deploy only this action (repeatable)")
	f.StringSliceVar(&syncs, "sync", nil, "deploy only this sync (repeatable)")
	return cmd
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
