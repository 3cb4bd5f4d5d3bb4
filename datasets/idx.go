package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX format limits: the element type this package reads and the largest
// payload it accepts (a guard against headers that declare absurd sizes).
const (
	idxUnsignedByte = 0x08
	idxMaxBytes     = 1 << 34
)

// ErrIDX is wrapped by every error about a malformed IDX file.
var ErrIDX = errors.New("malformed IDX file")

// IDXArray is the content of one IDX file of unsigned bytes: its dimensions,
// its row-major data, and the MD5 of the whole decompressed file (header
// included), which is what published checksums cover.
type IDXArray struct {
	Dims []int
	Data []byte
	MD5  string
}

// ParseIDX parses an IDX file held in memory, raw or gzip-compressed (told
// apart by the gzip magic bytes 0x1f 0x8b).
func ParseIDX(b []byte) (IDXArray, error) {
	return readIDX(bufio.NewReader(bytes.NewReader(b)), int64(len(b)))
}

// ReadIDXFile reads an IDX file, raw or gzip-compressed.
func ReadIDXFile(path string) (IDXArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return IDXArray{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return IDXArray{}, fmt.Errorf("read %s: %w", path, err)
	}
	a, err := readIDX(bufio.NewReaderSize(f, 1<<16), fi.Size())
	if err != nil {
		return IDXArray{}, fmt.Errorf("read %s: %w", path, err)
	}
	return a, nil
}

// deflateMaxRatio bounds how much deflate can expand (1032:1), so the
// payload buffer is sized from the file, never from a header's claim alone.
const deflateMaxRatio = 1032

func readIDX(br *bufio.Reader, fileSize int64) (IDXArray, error) {
	var r io.Reader = br
	maxSize := fileSize
	var gz *gzipStream
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return IDXArray{}, fmt.Errorf("%w: gzip header: %w", ErrIDX, err)
		}
		defer zr.Close()
		gz = &gzipStream{r: zr}
		r, maxSize = gz, deflateMaxRatio*fileSize+1024
	}
	sum := md5.New()
	a, err := decodeIDX(io.TeeReader(r, sum), maxSize)
	if gz != nil && err != nil {
		io.Copy(io.Discard, io.LimitReader(gz, maxSize)) // to the end of the stream, to check it
	}
	if gz != nil && gz.err != nil {
		// A corrupt stream decodes to anything, so the IDX error it led to
		// (truncated data, trailing bytes) would only mislead.
		return IDXArray{}, fmt.Errorf("%w: the gzip stream is corrupt: %w", ErrIDX, gz.err)
	}
	if err != nil {
		return IDXArray{}, err
	}
	a.MD5 = hex.EncodeToString(sum.Sum(nil))
	return a, nil
}

// gzipStream passes a gzip reader through and keeps the first error of the
// stream itself (corrupt deflate data, a CRC or size mismatch, a cut).
type gzipStream struct {
	r   io.Reader
	err error
}

func (g *gzipStream) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF && g.err == nil {
		g.err = err
	}
	return n, err
}

// decodeIDX reads the header, then exactly the declared payload, and checks
// that nothing follows it; reading to the end also makes gzip verify its CRC.
// maxSize bounds the decompressed size of the whole file.
func decodeIDX(r io.Reader, maxSize int64) (IDXArray, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return IDXArray{}, fmt.Errorf("%w: magic number: %w", ErrIDX, err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return IDXArray{}, fmt.Errorf("%w: bad magic % x (want 00 00 <type> <dims>)", ErrIDX, magic)
	}
	if magic[2] != idxUnsignedByte {
		return IDXArray{}, fmt.Errorf("%w: element type 0x%02x unsupported (want 0x08, unsigned byte)", ErrIDX, magic[2])
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return IDXArray{}, fmt.Errorf("%w: zero dimensions", ErrIDX)
	}
	hdr := make([]byte, 4*ndims)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return IDXArray{}, fmt.Errorf("%w: header of %d dimensions truncated: %w", ErrIDX, ndims, err)
	}
	dims := make([]int, ndims)
	size := int64(1)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4*i:]))
		if dims[i] != 0 && size > idxMaxBytes/int64(dims[i]) {
			return IDXArray{}, fmt.Errorf("%w: dimensions %v exceed %d bytes", ErrIDX, dims[:i+1], int64(idxMaxBytes))
		}
		size *= int64(dims[i])
	}
	data := make([]byte, min(size, maxSize))
	n, err := io.ReadFull(r, data)
	if err == nil && int64(n) < size {
		var rest int64
		rest, err = io.Copy(io.Discard, r)
		n += int(rest)
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return IDXArray{}, fmt.Errorf("%w: data: %w", ErrIDX, err)
	}
	if int64(n) < size {
		return IDXArray{}, fmt.Errorf("%w: truncated: dimensions %v need %d data bytes, found %d", ErrIDX, dims, size, n)
	}
	switch k, err := r.Read(make([]byte, 1)); {
	case k > 0:
		return IDXArray{}, fmt.Errorf("%w: trailing bytes after the %d data bytes of dimensions %v", ErrIDX, size, dims)
	case err != nil && err != io.EOF:
		return IDXArray{}, fmt.Errorf("%w: data: %w", ErrIDX, err)
	}
	return IDXArray{Dims: dims, Data: data}, nil
}
