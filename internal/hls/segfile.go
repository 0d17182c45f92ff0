package hls

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// segFile is a segment being written: a temporary file in the variant's
// directory that the muxer writes as the units come, through a buffer and,
// for an encrypted segment, AES-128 (RFC 8216 4.3.2.4: the whole segment in
// CBC mode, PKCS#7 padded). Listing the segment renames it into place, so
// that no reader ever sees half of one; a segment never holds more than a
// buffer's worth of memory.
type segFile struct {
	f   *os.File
	bw  *bufio.Writer
	enc *cbcWriter // nil in the clear
	w   io.Writer  // bw, or enc over it
	n   int64      // bytes that reached bw
}

// createSegFile starts the segment that will be dir/name, encrypted with key
// when it is not nil.
func createSegFile(dir, name string, key *segKey) (*segFile, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return nil, err
	}
	s := &segFile{f: f}
	s.bw = bufio.NewWriterSize(countingWriter{f, &s.n}, 64<<10)
	s.w = s.bw
	if key != nil {
		block, err := aes.NewCipher(key.bytes[:])
		if err != nil {
			s.discard()
			return nil, err
		}
		s.enc = &cbcWriter{w: s.bw, mode: cipher.NewCBCEncrypter(block, key.iv[:])}
		s.w = s.enc
	}
	return s, nil
}

func (s *segFile) Write(p []byte) (int, error) { return s.w.Write(p) }

// commit ends the segment and puts it in place as dir/name; it returns its
// size.
func (s *segFile) commit(dir, name string) (int64, error) {
	err := s.enc.finish()
	if err == nil {
		err = s.bw.Flush()
	}
	if err == nil {
		err = s.f.Chmod(0o644)
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(s.f.Name())
		return 0, fmt.Errorf("writing %s: %w", name, err)
	}
	return s.n, nil
}

// discard drops the segment.
func (s *segFile) discard() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// countingWriter counts what it writes.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// cbcWriter encrypts what it is given in CBC mode as whole blocks come, and
// pads the last one (PKCS#7) at finish.
type cbcWriter struct {
	w    io.Writer
	mode cipher.BlockMode
	rest []byte // less than a block, not yet encrypted
	out  []byte // scratch
}

func (c *cbcWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(c.rest) > 0 {
		k := min(aes.BlockSize-len(c.rest), len(p))
		c.rest = append(c.rest, p[:k]...)
		p = p[k:]
		if len(c.rest) < aes.BlockSize {
			return n, nil
		}
		if err := c.encrypt(c.rest); err != nil {
			return 0, err
		}
		c.rest = c.rest[:0]
	}
	whole := len(p) - len(p)%aes.BlockSize
	if whole > 0 {
		if err := c.encrypt(p[:whole]); err != nil {
			return 0, err
		}
	}
	c.rest = append(c.rest, p[whole:]...)
	return n, nil
}

func (c *cbcWriter) encrypt(b []byte) error {
	if cap(c.out) < len(b) {
		c.out = make([]byte, len(b))
	}
	out := c.out[:len(b)]
	c.mode.CryptBlocks(out, b)
	_, err := c.w.Write(out)
	return err
}

// finish pads and writes the last block; nothing for a nil writer (a clear
// segment).
func (c *cbcWriter) finish() error {
	if c == nil {
		return nil
	}
	pad := aes.BlockSize - len(c.rest)
	for range pad {
		c.rest = append(c.rest, byte(pad))
	}
	err := c.encrypt(c.rest)
	c.rest = c.rest[:0]
	return err
}
