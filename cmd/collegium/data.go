package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "data",
			Short: "Fetch and inspect datasets",
			RunE: func(cmd *cobra.Command, args []string) error {
				return errors.New("data is not built yet")
			},
		}
	})
}
