package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "ntk",
			Short: "Measure the empirical NTK at initialisation",
			RunE: func(cmd *cobra.Command, args []string) error {
				return errors.New("ntk is not built yet")
			},
		}
	})
}
