package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func sampleResults() []Result {
	return []Result{
		{Case: "gconv-N32-C370-H32-g37", Op: GroupedConv, Device: "cpu", Pass: FwdBwd, Groups: 37, PerGroup: 10,
			Params: 33300, FLOPs: 6547046400, Bytes: 291379440, Verified: true, MaxRelErr: 1.5e-7,
			Figures: &Figures{Reps: 7, MedianMS: 120.5, MinMS: 118.25, MaxMS: 130, GFLOPS: 54.33, GBPS: 2.41, PeakFrac: 0.5}},
		{Case: "dense-B128-1024", Op: Dense, Device: "cpu", Pass: Forward, Groups: 1, PerGroup: 1024,
			Params: 1048576, FLOPs: 268435456, Bytes: 5242880, Error: "dense-B128-1024: fwd output element 3 is 1, want 2, with \"quotes\""},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rs := sampleResults()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"case", "op", "device", "pass", "median_ms", "min_ms", "max_ms", "gflops", "gbps", "peak_frac", "verified"} {
		if _, ok := first[k]; !ok {
			t.Errorf("JSON line lacks %q: %s", k, lines[0])
		}
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if _, ok := second["gflops"]; ok || second["verified"] != false {
		t.Errorf("unverified line reports figures: %s", lines[1])
	}
	back, err := ReadJSON(&buf)
	if err != nil || !reflect.DeepEqual(back, rs) {
		t.Errorf("ReadJSON = %+v, %v; want %+v", back, err, rs)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	rs := sampleResults()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(&buf)
	if err != nil || !reflect.DeepEqual(back, rs) {
		t.Errorf("ReadCSV = %+v, %v; want %+v", back, err, rs)
	}
	if _, err := ReadCSV(strings.NewReader("case,op\n")); err == nil {
		t.Error("short header accepted")
	}
	bad := strings.Join(csvHeader, ",") + "\nc,gconv,cpu,fwd,x,1,1,1,1,true,0,,,,,,,,\n"
	if _, err := ReadCSV(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("bad number: %v", err)
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleResults()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"GFLOP/s", "gconv-N32-C370-H32-g37", "54.3", "50.0", "false"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
