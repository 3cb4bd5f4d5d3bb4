package datasets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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
// file in it (.JPEG, .jpg, any case) an image of that class; symbolic links
// are followed. A directory without classes, a class without images, and
// anything else in the tree (a file beside the class directories, a file
// of another kind or a directory inside a class) are errors naming what is
// wrong: a stray file is more likely a mistake in preparing the tree than
// something to pass over.
func ReadImageFolder(dir string) (*ImageFolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	f := &ImageFolder{Dir: dir}
	var files []string
	for _, e := range entries {
		isDir, err := entryIsDir(dir, e)
		if err != nil {
			return nil, fmt.Errorf("image folder %s: %w", dir, err)
		}
		if isDir {
			f.Classes = append(f.Classes, e.Name())
		} else {
			files = append(files, e.Name())
		}
	}
	switch {
	case len(f.Classes) == 0 && len(files) > 0:
		return nil, fmt.Errorf("image folder %s: %d files but no class directories (want DIR/CLASS/*.JPEG: sort the images into one directory per class)", dir, len(files))
	case len(f.Classes) == 0:
		return nil, fmt.Errorf("image folder %s: no class directories (want DIR/CLASS/*.JPEG)", dir)
	case len(files) > 0:
		return nil, fmt.Errorf("image folder %s: %s is a file among the class directories (want DIR/CLASS/*.JPEG only)", dir, files[0])
	}
	slices.Sort(f.Classes)
	for label, class := range f.Classes {
		entries, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
		for _, e := range entries {
			isDir, err := entryIsDir(filepath.Join(dir, class), e)
			if err != nil {
				return nil, fmt.Errorf("image folder %s: %w", dir, err)
			}
			if isDir || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
				return nil, fmt.Errorf("image folder %s: %s is not a JPEG image (a class directory holds *.JPEG or *.jpg files only)",
					dir, filepath.Join(class, e.Name()))
			}
			f.Files = append(f.Files, filepath.Join(dir, class, e.Name()))
			f.Labels = append(f.Labels, label)
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("image folder %s: class %s holds no JPEG images", dir, class)
		}
	}
	return f, nil
}

// entryIsDir reports whether the entry e of dir is a directory, following
// a symbolic link; an entry that is neither a directory nor a regular file
// is an error.
func entryIsDir(dir string, e fs.DirEntry) (bool, error) {
	t := e.Type()
	if t&fs.ModeSymlink != 0 {
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			return false, err
		}
		t = fi.Mode().Type()
	}
	switch {
	case t.IsDir():
		return true, nil
	case t.IsRegular():
		return false, nil
	}
	return false, fmt.Errorf("%s is neither a file nor a directory", filepath.Join(dir, e.Name()))
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

// Image file signatures: JPEG's start-of-image marker, and PNG's, which
// ImageNet's training set has under one .JPEG name (n02105855_2933).
var (
	jpegMagic = []byte{0xff, 0xd8, 0xff}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
)

// CheckImages opens every image of f and checks that it starts as a JPEG
// (or PNG) file does, with a pool of goroutines (reading a few bytes of
// each file is cheap next to an epoch, which decodes them all). The error
// names the first bad file in index order.
func (f *ImageFolder) CheckImages(ctx context.Context) error {
	errs := make([]error, f.Len())
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			head := make([]byte, len(pngMagic))
			for i := range next {
				errs[i] = checkImageFile(f.Files[i], head)
			}
		})
	}
feed:
	for i := range f.Files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("check images of %s: %w", f.Dir, context.Cause(ctx))
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("image folder %s: %w", f.Dir, err)
		}
	}
	return nil
}

// checkImageFile reads the start of path into head and checks its
// signature.
func checkImageFile(path string, head []byte) error {
	r, err := os.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if bytes.HasPrefix(head[:n], jpegMagic) || bytes.Equal(head[:n], pngMagic) {
		return nil
	}
	return fmt.Errorf("%s is not a JPEG image: it starts with % x, a JPEG with ff d8 ff", path, head[:min(n, 3)])
}

// ImageNet is the name under which training reads a dataset in ImageNet's
// folder layout (see ReadImageNet).
const ImageNet = "imagenet"

// ReadImageNet indexes an ImageNet tree, dir/train/CLASS/*.JPEG and
// dir/val/CLASS/*.JPEG, as ReadImageFolder does each split, checks that
// both splits have the same classes and that every file is an image
// (CheckImages). Errors name what is missing or wrong.
func ReadImageNet(ctx context.Context, dir string) (train, val *ImageFolder, err error) {
	want := fmt.Sprintf("want %s and %s", filepath.Join(dir, "train", "CLASS", "*.JPEG"), filepath.Join(dir, "val", "CLASS", "*.JPEG"))
	if err := isDir(dir); err != nil {
		return nil, nil, fmt.Errorf("%w (%s)", err, want)
	}
	var splits [2]*ImageFolder
	for i, name := range []string{"train", "val"} {
		sub := filepath.Join(dir, name)
		if err := isDir(sub); err != nil {
			return nil, nil, fmt.Errorf("%s: no %s directory: %w (%s)", dir, name, err, want)
		}
		if splits[i], err = ReadImageFolder(sub); err != nil {
			return nil, nil, err
		}
	}
	train, val = splits[0], splits[1]
	if err := train.SameClasses(val); err != nil {
		return nil, nil, fmt.Errorf("%s: %w: label i must mean the same class in both", dir, err)
	}
	for _, f := range splits {
		if err := f.CheckImages(ctx); err != nil {
			return nil, nil, err
		}
	}
	return train, val, nil
}
