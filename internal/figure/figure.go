// Package figure creates plot canvases by file type and writes them
// atomically, for every package that saves gonum plots.
package figure

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/collegium/collegium/internal/atomicfile"
)

// Canvas returns a w×h canvas for path: PNG or SVG by its extension.
func Canvas(path string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return vgimg.PngCanvas{Canvas: vgimg.New(w, h)}, nil
	case ".svg":
		return vgsvg.New(w, h), nil
	}
	return nil, fmt.Errorf("plot %s: want a .png or .svg file name", path)
}

// Write writes the drawn canvas to path atomically.
func Write(path string, c vg.CanvasWriterTo) error {
	return atomicfile.Write(path, func(f io.Writer) error {
		_, err := c.WriteTo(f)
		return err
	})
}
