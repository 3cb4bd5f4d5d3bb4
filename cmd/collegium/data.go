package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/collegium/collegium/datasets"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		cmd := &cobra.Command{
			Use:   "data",
			Short: "Fetch and inspect datasets (" + strings.Join(datasets.Names(), ", ") + ")",
			Long: "Datasets are looked up in --data-dir/NAME, then $" + datasets.EnvDataDir + "/NAME, then in copies that need\n" +
				"no download: MNIST from the Go module " + datasets.GoMNISTModule + " (needs the go command),\n" +
				"Fashion-MNIST from " + datasets.FashionMNISTSystemDir + " (Debian's dataset-fashion-mnist).",
		}
		cmd.AddCommand(dataFetchCmd(), dataInfoCmd())
		return cmd
	})
}

func dataFetchCmd() *cobra.Command {
	var to, baseURL string
	cmd := &cobra.Command{
		Use:   "fetch NAME",
		Short: "Download a dataset from its official source into DIR/NAME, verifying checksums",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := datasets.Lookup(args[0])
			if err != nil {
				return err
			}
			if to == "" {
				to = os.Getenv(datasets.EnvDataDir)
			}
			if to == "" {
				return errors.New("data fetch: say where with --to DIR (or set $" + datasets.EnvDataDir + ")")
			}
			if baseURL != "" {
				spec.BaseURL = baseURL
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			dir, err := datasets.Fetch(ctx, spec, to, nil, logrus.StandardLogger())
			if err != nil {
				return whileInterrupted(ctx, "data fetch", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", spec.Name, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "data directory to write NAME/ into (default $"+datasets.EnvDataDir+")")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "download from this URL instead of the official one (a mirror holding the same files)")
	return cmd
}

func dataInfoCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "info [NAME]",
		Short: "Show where a dataset is found, its size, shape, classes and checksum status (default " + datasets.DefaultDataset + ")",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := datasets.DefaultDataset
			if len(args) == 1 {
				name = args[0]
			}
			spec, err := datasets.Lookup(name)
			if err != nil {
				return err
			}
			info, err := datasets.NewResolver(dataDir, logrus.StandardLogger()).Inspect(cmd.Context(), spec)
			if err != nil {
				return err
			}
			return printInfo(cmd.OutOrStdout(), info)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory holding NAME/ (before $"+datasets.EnvDataDir+")")
	return cmd
}

// printInfo writes the summary, then one line per file: status, MD5, path.
func printInfo(w io.Writer, info datasets.Info) error {
	s := info.Spec
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "dataset\t%s\n", s.Name)
	fmt.Fprintf(tw, "location\t%s (%s)\n", info.Location.Dir, info.Location.Origin)
	fmt.Fprintf(tw, "shape\t%d×%d×%d (C×H×W)\n", s.Channels, s.Height, s.Width)
	fmt.Fprintf(tw, "classes\t%d\n", s.Classes)
	fmt.Fprintf(tw, "normalisation\tmean %v, std %v\n", s.Mean, s.Std)
	for _, sp := range info.Splits {
		fmt.Fprintf(tw, "%s\t%d images, per class %v\n", sp.Split, sp.Count, sp.ClassCounts)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print info: %w", err)
	}
	bad := 0
	for _, sp := range info.Splits {
		for _, c := range sp.Checks {
			fmt.Fprintf(w, "%-12s  %s  %s\n", c.Status(), c.MD5, c.Path)
			if c.Err() != nil {
				bad++
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("dataset %s: %d files fail their checksum", s.Name, bad)
	}
	return nil
}
