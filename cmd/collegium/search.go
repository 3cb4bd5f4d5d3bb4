package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "search",
			Short: "Choose (m, n) by the primal or dual search",
			RunE: func(cmd *cobra.Command, args []string) error {
				return errors.New("search is not built yet")
			},
		}
	})
}
