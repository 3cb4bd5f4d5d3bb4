package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "bench",
			Short: "Benchmark grouped and block-diagonal layers against dense",
			RunE: func(cmd *cobra.Command, args []string) error {
				return errors.New("bench is not built yet")
			},
		}
	})
}
