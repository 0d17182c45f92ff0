package hls_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
)

// rotator is a KeySource that makes a new key every few segments and writes
// it where its URI points, relative to the playlist, as the engine's rotator
// writes keys/<n>.key.
type rotator struct {
	dir   string
	every int

	mu    sync.Mutex
	calls int
	keys  map[string][16]byte
}

func (r *rotator) Current() (hls.Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.calls / r.every // a call a segment, as it starts
	r.calls++
	uri := fmt.Sprintf("keys/%d.key", n)
	k, ok := r.keys[uri]
	if !ok {
		rand.Read(k[:])
		if err := os.MkdirAll(filepath.Join(r.dir, "keys"), 0o755); err != nil {
			return hls.Key{}, err
		}
		if err := os.WriteFile(filepath.Join(r.dir, uri), k[:], 0o600); err != nil {
			return hls.Key{}, err
		}
		r.keys[uri] = k
	}
	return hls.Key{URI: uri, Bytes: k}, nil
}

// TestEncrypted writes AES-128 TS segments under keys that rotate every two
// segments: every segment follows an EXT-X-KEY with its URI and IV, is not
// TS as written and is TS once decrypted (CBC, PKCS#7), and ffmpeg plays
// the playlist, fetching the keys itself.
func TestEncrypted(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	dir := filepath.Join(t.TempDir(), "180p")
	keys := &rotator{dir: dir, every: 2, keys: map[string][16]byte{}}
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.TS, Segment: 2 * time.Second, Window: 60 * time.Second, Keys: keys})
	f.play(tracks, units, 0)
	m := f.finish()
	used := map[string]bool{}
	ivs := map[string]bool{}
	for _, s := range m.Segments {
		if s.Key.Method != "AES-128" || s.Key.IV == "" {
			t.Fatalf("segment %s: key %+v", s.URI, s.Key)
		}
		used[s.Key.URI] = true
		ivs[s.Key.IV] = true
		raw, err := os.ReadFile(filepath.Join(dir, s.URI))
		if err != nil {
			t.Fatal(err)
		}
		if hlstest.IsTS(raw) || len(raw)%aes.BlockSize != 0 {
			t.Fatalf("segment %s is in the clear, or not whole blocks", s.URI)
		}
		k := keys.keys[s.Key.URI]
		iv, _ := hex.DecodeString(strings.TrimPrefix(s.Key.IV, "0x"))
		block, _ := aes.NewCipher(k[:])
		plain := make([]byte, len(raw))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, raw)
		pad := int(plain[len(plain)-1])
		if pad < 1 || pad > aes.BlockSize || !hlstest.IsTS(plain[:len(plain)-pad]) {
			t.Fatalf("segment %s does not decrypt to TS (padding %d)", s.URI, pad)
		}
	}
	if len(used) != 2 || len(ivs) != len(m.Segments) {
		t.Errorf("%d segments under keys %v with %d IVs", len(m.Segments), used, len(ivs))
	}
	if n := decode(t, filepath.Join(dir, hls.Playlist), "-allowed_extensions", "ALL"); n < 15*7 {
		t.Errorf("ffmpeg decoded %d frames of the encrypted playlist", n)
	}
}
