package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerDocs: the Dockerfile, README and docs/ name one image tag, and
// every `docker run` of a training keeps its runs: the image works in
// /work, and the command mounts a host directory on /work/runs.
func TestDockerDocs(t *testing.T) {
	files := []string{"../../Dockerfile", "../../README.md"}
	docs, _ := filepath.Glob("../../docs/*.md")
	files = append(files, docs...)
	build := regexp.MustCompile(`docker build -t (\S+)`)
	run := regexp.MustCompile(`docker run [^\n]*`)
	tags := map[string][]string{}
	runs := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range build.FindAllStringSubmatch(string(b), -1) {
			tags[m[1]] = append(tags[m[1]], f)
		}
		for _, line := range run.FindAllString(string(b), -1) {
			runs++
			if !strings.Contains(line, ":/work/runs\"") || !strings.Contains(line, " collegium train") {
				t.Errorf("%s: %q does not mount a host directory on /work/runs for image collegium", f, line)
			}
		}
	}
	if len(tags) != 1 || tags["collegium"] == nil || runs == 0 {
		t.Errorf("image tags %v and %d docker run lines, want the one tag collegium", tags, runs)
	}
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	last := strings.LastIndex(string(b), "\nFROM ")
	if !regexp.MustCompile(`(?m)^WORKDIR /work$`).Match(b[last:]) {
		t.Error("the image's last stage does not work in /work")
	}
}
