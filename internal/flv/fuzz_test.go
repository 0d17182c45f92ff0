package flv

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must not panic, and whatever
// tags it reads must survive a Writer→Reader round trip unchanged.
func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	w := NewWriter(&b, true, true)
	w.WriteTag(Tag{Type: TagVideo, Timestamp: 0x01020304, Data: []byte{0x17, 0, 0, 0, 0, 1}})
	w.WriteTag(Tag{Type: TagAudio, Timestamp: 5, Data: []byte{0xaf, 1, 2}})
	f.Add(b.Bytes())
	f.Add([]byte("FLV\x01\x05\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		var tags []Tag
		for len(tags) < 1000 {
			tag, err := r.ReadTag()
			if err != nil {
				break
			}
			if len(tag.Data) > len(in) {
				t.Fatalf("tag of %d bytes from %d bytes of input", len(tag.Data), len(in))
			}
			tags = append(tags, tag)
		}
		var out bytes.Buffer
		w := NewWriter(&out, r.HasAudio, r.HasVideo)
		for _, tag := range tags {
			if err := w.WriteTag(tag); err != nil {
				t.Fatal(err)
			}
		}
		r2 := NewReader(&out)
		for i, want := range tags {
			got, err := r2.ReadTag()
			if err != nil {
				t.Fatalf("tag %d: %v", i, err)
			}
			if got.Type != want.Type || got.Timestamp != want.Timestamp || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("tag %d changed in the round trip", i)
			}
		}
		if _, err := r2.ReadTag(); len(tags) > 0 && err != io.EOF {
			t.Fatalf("after the last tag: %v", err)
		}
	})
}
