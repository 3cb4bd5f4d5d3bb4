package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ImageFolder is one split of a dataset in ImageNet's folder layout:
// DIR/CLASS/IMAGE, one directory per class. Classes are the directory
// names in sorted order (class i is the i-th), images are sorted by class
// then file name, so the index of an image depends only on the tree.
type ImageFolder struct {
	Dir     string
	Classes []string
	Files   []string // paths of the images
	Labels  []int    // class of each image
}

// imageExts are the file name endings read as images (JPEG, as ImageNet
// ships them).
var imageExts = []string{".jpeg", ".jpg"}

// ReadImageFolder indexes dir: every subdirectory is a class and every
// JPEG file in it (.JPEG, .jpg, any case) an image of that class. A
// directory without classes, or a class without images, is an error.
func ReadImageFolder(dir string) (*ImageFolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	f := &ImageFolder{Dir: dir}
	for _, e := range entries {
		if e.IsDir() {
			f.Classes = append(f.Classes, e.Name())
		}
	}
	if len(f.Classes) == 0 {
		return nil, fmt.Errorf("image folder %s: no class directories (want DIR/CLASS/*.JPEG)", dir)
	}
	slices.Sort(f.Classes)
	for label, class := range f.Classes {
		files, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
		n := 0
		for _, e := range files {
			if e.Type().IsRegular() && slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
				f.Files = append(f.Files, filepath.Join(dir, class, e.Name()))
				f.Labels = append(f.Labels, label)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("image folder %s: class %s holds no JPEG images", dir, class)
		}
	}
	return f, nil
}

// Len is the number of images.
func (f *ImageFolder) Len() int { return len(f.Files) }

// ErrClassMismatch is wrapped by SameClasses's error.
var ErrClassMismatch = errors.New("class directories differ")

// SameClasses checks that g (a validation split) has f's classes, so that
// label i means the same class in both.
func (f *ImageFolder) SameClasses(g *ImageFolder) error {
	if !slices.Equal(f.Classes, g.Classes) {
		return fmt.Errorf("%w: %s has %d classes, %s has %d (first difference at %s)", ErrClassMismatch,
			f.Dir, len(f.Classes), g.Dir, len(g.Classes), firstDiff(f.Classes, g.Classes))
	}
	return nil
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("class %d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("class %d", min(len(a), len(b)))
}
