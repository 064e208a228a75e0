package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/functions"
)

func (d *devCLI) undeployCommand() *cobra.Command {
	var sf serverFlags
	var typ string
	cmd := &cobra.Command{
		Use:   "undeploy <integration>/<name>",
		Short: "Remove a deployed function from a Patchbay server",
		Long: "Remove the function deployed as <name> in <integration> from the server (--host).\n" +
			"Undeploying a sync stops its runs and deletes its instances and the records it saved.\n" +
			"--type (action, sync or on-event) picks among functions of different types sharing a\n" +
			"name, as <integration>/actions/<name> or <integration>/syncs/<name> does. The secret key\n" +
			"is read from\n" + secretKeyHelp,
		Args: exactArgs("<integration>/<name>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			integration, name, ok := strings.Cut(args[0], "/")
			if folder, rest, qualified := strings.Cut(name, "/"); qualified {
				folderType := functions.TypeOfFolder(folder)
				if folderType == "" || (typ != "" && typ != folderType) {
					return usageError{errorf("%q is not a function: want <integration>/<name> or <integration>/<actions|syncs|on-events>/<name> (agreeing with --type)", args[0])}
				}
				name, typ = rest, folderType
			}
			if !ok || integration == "" || name == "" || strings.Contains(name, "/") {
				return usageError{errorf("%q is not a function: want <integration>/<name>", args[0])}
			}
			switch typ {
			case "", "action", "sync", "on-event":
			default:
				return usageError{errorf("--type %q: want action, sync or on-event", typ)}
			}
			c, host, err := d.client(sf)
			if err != nil {
				return err
			}
			done := progress(d.stderr, fmt.Sprintf("undeploying from %s…", host))
			res, err := c.UndeployFunction(cmd.Context(), integration, name, typ)
			done()
			if err != nil {
				return serverError(err, host, sf.env)
			}
			u := d.ui
			fmt.Fprintf(d.stdout, "%s %s/%s  %s  %s\n", u.green("✓"), res.Integration, res.Name, u.dim(res.Type), u.green("undeployed"))
			return nil
		},
	}
	sf.register(cmd, "the environment to undeploy from (dev, prod, …)")
	cmd.Flags().StringVar(&typ, "type", "", "the function's type when several share the name: action, sync or on-event")
	return cmd
}
