package bench

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
)

// WriteTable writes rs as an aligned table for a terminal.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tpass\tdevice\tmedian ms\tmin ms\tmax ms\treps\tGFLOP/s\tGB/s\t% peak\tverified\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t", r.Case, r.Pass, r.Device)
		if f := r.Figures; f != nil {
			peak := "-"
			if f.PeakFrac > 0 {
				peak = fmt.Sprintf("%.1f", 100*f.PeakFrac)
			}
			fmt.Fprintf(tw, "%.3f\t%.3f\t%.3f\t%d\t%.1f\t%.1f\t%s\t", f.MedianMS, f.MinMS, f.MaxMS, f.Reps, f.GFLOPS, f.GBPS, peak)
		} else {
			fmt.Fprint(tw, "-\t-\t-\t-\t-\t-\t-\t")
		}
		fmt.Fprintf(tw, "%t\t\n", r.Verified)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// WriteJSON writes one JSON object per result per line.
func WriteJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	return nil
}

// ReadJSON reads results written one per line by WriteJSON (or by
// scripts/bench_torch.py).
func ReadJSON(r io.Reader) ([]Result, error) {
	dec := json.NewDecoder(r)
	var rs []Result
	for {
		var res Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return rs, nil
		}
		if err != nil {
			return rs, fmt.Errorf("read json result %d: %w", len(rs)+1, err)
		}
		rs = append(rs, res)
	}
}

// csvHeader names the CSV columns, which are the JSON keys.
var csvHeader = []string{"case", "op", "device", "pass", "groups", "per_group", "params", "flops", "bytes",
	"verified", "max_rel_err", "error", "reps", "median_ms", "min_ms", "max_ms", "gflops", "gbps", "peak_frac"}

// WriteCSV writes rs with a header row; the figures of unverified results
// are empty cells.
func WriteCSV(w io.Writer, rs []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range rs {
		row := []string{r.Case, string(r.Op), r.Device, string(r.Pass), strconv.Itoa(r.Groups), strconv.Itoa(r.PerGroup),
			itoa64(r.Params), itoa64(r.FLOPs), itoa64(r.Bytes), strconv.FormatBool(r.Verified), ftoa(r.MaxRelErr), r.Error}
		if f := r.Figures; f != nil {
			row = append(row, strconv.Itoa(f.Reps), ftoa(f.MedianMS), ftoa(f.MinMS), ftoa(f.MaxMS), ftoa(f.GFLOPS), ftoa(f.GBPS), ftoa(f.PeakFrac))
		} else {
			row = append(row, "", "", "", "", "", "", "")
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteCSVFile writes rs as CSV to a new file at path.
func WriteCSVFile(path string, rs []Result) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write csv: %w", cerr)
		}
	}()
	return WriteCSV(f, rs)
}

// ReadCSV reads results written by WriteCSV.
func ReadCSV(r io.Reader) ([]Result, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) != len(csvHeader) {
		return nil, fmt.Errorf("read csv: want a header of %d columns", len(csvHeader))
	}
	rs := make([]Result, 0, len(rows)-1)
	for i, row := range rows[1:] {
		res, err := parseCSVRow(row)
		if err != nil {
			return rs, fmt.Errorf("read csv row %d: %w", i+2, err)
		}
		rs = append(rs, res)
	}
	return rs, nil
}

func parseCSVRow(row []string) (Result, error) {
	p := numParser{}
	r := Result{Case: row[0], Op: Op(row[1]), Device: row[2], Pass: Pass(row[3]),
		Groups: p.int(row[4]), PerGroup: p.int(row[5]), Params: p.int64(row[6]), FLOPs: p.int64(row[7]),
		Bytes: p.int64(row[8]), MaxRelErr: p.float(row[10]), Error: row[11]}
	verified, err := strconv.ParseBool(row[9])
	if err != nil {
		return r, fmt.Errorf("verified %q: %w", row[9], err)
	}
	r.Verified = verified
	if row[12] != "" {
		r.Figures = &Figures{Reps: p.int(row[12]), MedianMS: p.float(row[13]), MinMS: p.float(row[14]), MaxMS: p.float(row[15]),
			GFLOPS: p.float(row[16]), GBPS: p.float(row[17]), PeakFrac: p.float(row[18])}
	}
	return r, p.err
}

// numParser parses numbers, keeping the first error.
type numParser struct{ err error }

func (p *numParser) int64(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("integer %q: %w", s, err)
	}
	return v
}

func (p *numParser) int(s string) int { return int(p.int64(s)) }

func (p *numParser) float(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("number %q: %w", s, err)
	}
	return v
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// CheckFormat reports whether Write knows format.
func CheckFormat(format string) error {
	if format != "table" && format != "json" {
		return fmt.Errorf("format %q: want table or json", format)
	}
	return nil
}

// Write writes rs to w as a table ("table") or JSON lines ("json").
func Write(w io.Writer, format string, rs []Result) error {
	if err := CheckFormat(format); err != nil {
		return err
	}
	if format == "json" {
		return WriteJSON(w, rs)
	}
	return WriteTable(w, rs)
}
