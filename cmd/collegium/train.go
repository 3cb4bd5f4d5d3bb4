package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "train",
			Short: "Train a collegial ensemble or a baseline",
			RunE: func(cmd *cobra.Command, args []string) error {
				return errors.New("train is not built yet")
			},
		}
	})
}
