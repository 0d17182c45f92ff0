package cmafx

import (
	"bytes"
	"encoding/binary"
)

// node is a box as this package reads it: its own bytes and, for the
// containers it looks into, its child boxes. The tree is read by hand rather
// than with mp4ff's decoders, which allocate tables by counts they do not
// check against the box size: a few bad bytes would cost gigabytes.
type node struct {
	typ  string
	raw  []byte // the whole box as read, or as made here (a leaf)
	hdr  int    // header length in raw
	own  []byte // a container's fields before its children (stsd's count, a sample entry's)
	kids []*node
	leaf bool
	at   int // where raw starts in the file it was read from
}

// maxDepth bounds how deep boxes nest: far more than any real file, and
// enough to keep hostile input from recursing without end.
const maxDepth = 12

// ownLen is how many bytes of fields a container has before its children,
// for the containers this package looks into; false for a leaf.
func ownLen(typ string, payload []byte) (int, bool) {
	switch typ {
	case "moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf", "sinf", "schi":
		return 0, true
	case "stsd":
		return 8, true // version, flags, entry count
	case "avc1", "avc3", "hvc1", "hev1", "encv":
		return 78, true // VisualSampleEntry's fields
	case "mp4a", "enca":
		// AudioSampleEntry's fields; QuickTime's versions 1 and 2 have more.
		if len(payload) >= 10 {
			switch binary.BigEndian.Uint16(payload[8:]) {
			case 1:
				return 44, true
			case 2:
				return 64, true
			}
		}
		return 28, true
	}
	return 0, false
}

// parseBoxes reads the boxes that fill b, which starts at offset at of its
// file; depth is how deep they are. With pad (in a sample entry), a few zero
// bytes may follow the last box, as QuickTime writes them; they are left out.
func parseBoxes(b []byte, at, depth int, pad bool) ([]*node, error) {
	if depth > maxDepth {
		return nil, malformed("boxes nested more than %d deep", maxDepth)
	}
	var out []*node
	for pos := 0; pos < len(b); {
		if rest := b[pos:]; pad && len(rest) < 8 && len(bytes.Trim(rest, "\x00")) == 0 {
			break
		}
		n, err := parseBox(b[pos:], at+pos, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		pos += len(n.raw)
	}
	return out, nil
}

// parseBox reads the box at the start of b.
func parseBox(b []byte, at, depth int) (*node, error) {
	if len(b) < 8 {
		return nil, malformed("%d bytes at %d, too few for a box", len(b), at)
	}
	size, hdr := uint64(binary.BigEndian.Uint32(b)), 8
	switch size {
	case 0: // to the end of the file or of its parent
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return nil, malformed("a box at %d cut short in its header", at)
		}
		size, hdr = binary.BigEndian.Uint64(b[8:]), 16
	}
	n := &node{typ: string(b[4:8]), hdr: hdr, at: at}
	if size < uint64(hdr) || size > uint64(len(b)) {
		return nil, malformed("box %q at %d: size %d with %d bytes left", n.typ, at, size, len(b))
	}
	n.raw = b[:size]
	payload := n.raw[hdr:]
	own, container := ownLen(n.typ, payload)
	if !container {
		n.leaf = true
		return n, nil
	}
	if own > len(payload) {
		return nil, malformed("box %q at %d: %d bytes, too few for its fields", n.typ, at, len(payload))
	}
	n.own = payload[:own]
	kids, err := parseBoxes(payload[own:], at+hdr+own, depth+1, own > 8)
	if err != nil {
		return nil, err
	}
	n.kids = kids
	return n, nil
}

// payload is a leaf's bytes after its header.
func (n *node) payload() []byte { return n.raw[n.hdr:] }

// child is n's first child of type typ, or nil.
func (n *node) child(typ string) *node {
	for _, k := range n.kids {
		if k.typ == typ {
			return k
		}
	}
	return nil
}

// path follows first children of the given types from n; nil if one is missing.
func (n *node) path(types ...string) *node {
	for _, t := range types {
		if n = n.child(t); n == nil {
			return nil
		}
	}
	return n
}

// size is how long n is once written.
func (n *node) size() int {
	if n.leaf {
		return len(n.raw)
	}
	s := 8 + len(n.own)
	for _, k := range n.kids {
		s += k.size()
	}
	return s
}

// write appends n to w: a leaf as it was read, a container from its
// children, which an edit may have changed.
func (n *node) write(w *bytes.Buffer) {
	if n.leaf {
		w.Write(n.raw)
		return
	}
	w.Write(header(n.typ, n.size()))
	w.Write(n.own)
	for _, k := range n.kids {
		k.write(w)
	}
}

// with is a copy of container n with other children.
func (n *node) with(kids []*node) *node {
	c := *n
	c.kids = kids
	return &c
}

// leafNode is a box made of its whole bytes.
func leafNode(b []byte) *node {
	return &node{typ: string(b[4:8]), raw: b, hdr: 8, leaf: true}
}

// header is a box header with a 32-bit size; callers keep boxes under 4 GiB.
func header(typ string, size int) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint32(h, uint32(size))
	copy(h[4:], typ)
	return h
}

// fullBox is a full box's bytes: header, version and flags, then body.
func fullBox(typ string, version byte, flags uint32, body []byte) []byte {
	b := header(typ, 12+len(body))
	b = binary.BigEndian.AppendUint32(b, uint32(version)<<24|flags&0xffffff)
	return append(b, body...)
}

// reader reads big-endian fields from a box's payload, remembering whether
// it ran out; a short read gives zeros.
type reader struct {
	b   []byte
	pos int
	bad bool
}

func (r *reader) next(n int) []byte {
	if r.bad || n < 0 || len(r.b)-r.pos < n {
		r.bad = true
		return make([]byte, min(max(n, 0), 16)) // callers read fixed fields only
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p
}

func (r *reader) u8() byte    { return r.next(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.next(4)) }
func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }
func (r *reader) left() int   { return len(r.b) - r.pos }
