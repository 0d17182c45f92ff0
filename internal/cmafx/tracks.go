package cmafx

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Track is what a DASH representation or an HLS rendition says of one track
// of an init section.
type Track struct {
	ID   uint32
	Kind string // "video" or "audio"
	// FourCC is the sample entry type: "avc1", "avc3", "hvc1", "hev1",
	// "mp4a". For a protected track (encv, enca) it is the original format
	// its sinf names, which is what the codec is.
	FourCC    string
	Codec     string // RFC 6381, e.g. "avc1.64001e", "mp4a.40.2", "hvc1.1.6.L93.B0"
	Timescale uint32
	// Width and Height are a video track's coded picture size.
	Width, Height int
	// SampleRate and Channels are an audio track's, from its
	// AudioSpecificConfig, else from its sample entry.
	SampleRate, Channels int
}

// initTree is a parsed init section.
type initTree struct {
	ftyp *node // nil if the section has none
	moov *node
}

func parseInit(b []byte) (*initTree, error) {
	boxes, err := parseBoxes(b, 0, 0, false)
	if err != nil {
		return nil, err
	}
	t := &initTree{}
	for _, n := range boxes {
		switch {
		case n.typ == "ftyp" && t.ftyp == nil:
			t.ftyp = n
		case n.typ == "moov" && t.moov == nil:
			t.moov = n
		}
	}
	if t.moov == nil {
		return nil, malformed("no moov box: not an init section")
	}
	seen := map[uint32]bool{}
	for _, k := range t.moov.kids {
		if id, ok := trakID(k); ok && k.typ == "trak" {
			if seen[id] {
				return nil, malformed("two traks of track %d", id)
			}
			seen[id] = true
		}
	}
	return t, nil
}

// trak is the trak of track id, or an error.
func (t *initTree) trak(id uint32) (*node, error) {
	for _, k := range t.moov.kids {
		if k.typ != "trak" {
			continue
		}
		if kid, ok := trakID(k); ok && kid == id {
			return k, nil
		}
	}
	return nil, malformed("no track %d in the init section", id)
}

// trex holds a track's defaults for its fragments.
type trex struct{ dur, size, flags uint32 }

// trex is the trex of track id, or an error: fragments need it.
func (t *initTree) trex(id uint32) (*trex, error) {
	if mvex := t.moov.child("mvex"); mvex != nil {
		for _, k := range mvex.kids {
			if k.typ != "trex" {
				continue
			}
			r := reader{b: k.payload()}
			r.next(4)
			kid := r.u32()
			r.next(4) // default_sample_description_index
			x := &trex{dur: r.u32(), size: r.u32(), flags: r.u32()}
			if !r.bad && kid == id {
				return x, nil
			}
		}
	}
	return nil, malformed("no trex for track %d: not a fragmented MP4 init section", id)
}

// trakID reads a trak's track id from its tkhd.
func trakID(trak *node) (uint32, bool) {
	tkhd := trak.child("tkhd")
	if tkhd == nil || !tkhd.leaf {
		return 0, false
	}
	r := reader{b: tkhd.payload()}
	if r.u8() == 1 {
		r.next(3 + 16) // flags, 64-bit creation and modification times
	} else {
		r.next(3 + 8)
	}
	id := r.u32()
	return id, !r.bad
}

// Tracks lists the video and audio tracks of an init section, in the order
// of their traks; other tracks (text, metadata) are left out.
func Tracks(init []byte) ([]Track, error) {
	t, err := parseInit(init)
	if err != nil {
		return nil, err
	}
	var out []Track
	for _, k := range t.moov.kids {
		if k.typ != "trak" {
			continue
		}
		tr, ok, err := trackInfo(k)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, tr)
		}
	}
	if len(out) == 0 {
		return nil, malformed("no video or audio track in the init section")
	}
	return out, nil
}

// trackInfo reads a trak; false for a track neither video nor audio.
func trackInfo(trak *node) (Track, bool, error) {
	var tr Track
	id, ok := trakID(trak)
	mdhd, hdlr := trak.path("mdia", "mdhd"), trak.path("mdia", "hdlr")
	stsd := trak.path("mdia", "minf", "stbl", "stsd")
	if !ok || mdhd == nil || hdlr == nil || stsd == nil || !mdhd.leaf || !hdlr.leaf || len(stsd.kids) == 0 {
		return tr, false, malformed("a trak without tkhd, mdhd, hdlr or a sample entry")
	}
	tr.ID = id
	r := reader{b: mdhd.payload()}
	if r.u8() == 1 {
		r.next(3 + 16)
	} else {
		r.next(3 + 8)
	}
	tr.Timescale = r.u32()
	h := reader{b: hdlr.payload()}
	h.next(8)
	handler := string(h.next(4))
	if r.bad || h.bad {
		return tr, false, malformed("track %d: mdhd or hdlr cut short", id)
	}
	switch handler {
	case "vide":
		tr.Kind = "video"
	case "soun":
		tr.Kind = "audio"
	default:
		return tr, false, nil
	}
	entry := stsd.kids[0]
	tr.FourCC = entry.typ
	if entry.typ == "encv" || entry.typ == "enca" {
		frma := entry.path("sinf", "frma")
		if frma == nil || !frma.leaf || len(frma.payload()) < 4 {
			return tr, false, malformed("track %d: %s without sinf/frma", id, entry.typ)
		}
		tr.FourCC = string(frma.payload()[:4])
	}
	fields := entry.own
	if entry.leaf {
		fields = entry.payload()
	}
	if len(fields) < 28 {
		return tr, false, malformed("track %d: sample entry %q cut short", id, entry.typ)
	}
	if tr.Kind == "video" {
		tr.Width, tr.Height = int(binary.BigEndian.Uint16(fields[24:])), int(binary.BigEndian.Uint16(fields[26:]))
	} else {
		tr.Channels, tr.SampleRate = int(binary.BigEndian.Uint16(fields[16:])), int(binary.BigEndian.Uint16(fields[24:]))
		if tr.SampleRate == 0 {
			tr.SampleRate = int(tr.Timescale)
		}
	}
	var err error
	tr.Codec, err = codec(&tr, entry)
	if err != nil {
		return tr, false, fmt.Errorf("track %d: %w", id, err)
	}
	return tr, true, nil
}

// codec is a sample entry's RFC 6381 codecs string, from its configuration
// box; other formats than H.264, H.265 and MPEG-4 audio are named by their
// four-character code alone. An AudioSpecificConfig also gives tr its
// sample rate and channels: ISO BMFF writers put a template 2 channels in
// the sample entry.
func codec(tr *Track, entry *node) (string, error) {
	config := func(typ string) ([]byte, error) {
		c := entry.child(typ)
		if c == nil || !c.leaf {
			return nil, malformed("%s without %s", tr.FourCC, typ)
		}
		return c.payload(), nil
	}
	switch tr.FourCC {
	case "avc1", "avc3":
		c, err := config("avcC")
		if err != nil {
			return "", err
		}
		if len(c) < 4 {
			return "", malformed("an avcC of %d bytes", len(c))
		}
		return fmt.Sprintf("%s.%02x%02x%02x", tr.FourCC, c[1], c[2], c[3]), nil
	case "hvc1", "hev1":
		c, err := config("hvcC")
		if err != nil {
			return "", err
		}
		return hevcCodec(tr.FourCC, c)
	case "mp4a":
		c, err := config("esds")
		if err != nil {
			return "", err
		}
		return mp4aCodec(tr, c)
	}
	return tr.FourCC, nil
}

// hevcCodec reads general_profile_tier_level (ISO/IEC 14496-15 E.3) from
// the SPS in an hvcC, as onair's HLS master playlist does, or from the
// hvcC's own copy of it when it holds no SPS: some writers (mediacommon)
// fill that copy wrongly.
func hevcCodec(fourcc string, c []byte) (string, error) {
	if len(c) < 23 {
		return "", malformed("an hvcC of %d bytes", len(c))
	}
	ptl := c[1:13]
	r := reader{b: c[23:]}
	for arrays := int(c[22]); arrays > 0 && !r.bad; arrays-- {
		typ := r.u8() & 0x3f
		for n := int(r.u16()); n > 0 && !r.bad; n-- {
			l := int(r.u16())
			if l > r.left() {
				return "", malformed("an hvcC cut short")
			}
			if nal := unescape(r.next(l)); typ == 33 && len(nal) >= 15 {
				ptl = nal[3:15]
			}
		}
	}
	var s strings.Builder
	s.WriteString(fourcc + ".")
	if space := ptl[0] >> 6; space > 0 {
		s.WriteByte("ABC"[space-1])
	}
	s.WriteString(strconv.Itoa(int(ptl[0] & 0x1f)))
	s.WriteString("." + strconv.FormatUint(uint64(bits.Reverse32(binary.BigEndian.Uint32(ptl[1:]))), 16))
	tier := "L"
	if ptl[0]&0x20 != 0 {
		tier = "H"
	}
	s.WriteString("." + tier + strconv.Itoa(int(ptl[11])))
	cons := ptl[5:11]
	for len(cons) > 0 && cons[len(cons)-1] == 0 {
		cons = cons[:len(cons)-1]
	}
	for _, b := range cons {
		s.WriteString(fmt.Sprintf(".%X", b))
	}
	return s.String(), nil
}

// unescape removes a NAL unit's emulation prevention bytes (00 00 03).
func unescape(nal []byte) []byte {
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, b := range nal {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// aacRates are the sampling frequencies an AudioSpecificConfig indexes.
var aacRates = []int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// mp4aCodec reads an esds (ISO/IEC 14496-1 7.2.6.5): "mp4a.40.<audio object
// type>" for MPEG-4 audio, "mp4a.<object type indication>" otherwise; its
// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) gives tr its sample rate
// and channel configuration.
func mp4aCodec(tr *Track, esds []byte) (string, error) {
	r := reader{b: esds}
	r.next(4) // version, flags
	if r.u8() != 0x03 {
		return "", malformed("an esds without ES_Descriptor")
	}
	descLen(&r)
	r.next(2) // ES_ID
	f := r.u8()
	if f&0x80 != 0 {
		r.next(2) // dependsOn_ES_ID
	}
	if f&0x40 != 0 {
		r.next(int(r.u8())) // URL
	}
	if f&0x20 != 0 {
		r.next(2) // OCR_ES_Id
	}
	if r.u8() != 0x04 {
		return "", malformed("an esds without DecoderConfigDescriptor")
	}
	descLen(&r)
	oti := r.u8()
	r.next(12) // stream type, buffer size, bitrates
	if r.bad {
		return "", malformed("an esds cut short")
	}
	if oti != 0x40 {
		return fmt.Sprintf("mp4a.%02x", oti), nil
	}
	if r.u8() != 0x05 {
		return "", malformed("an MPEG-4 audio esds without AudioSpecificConfig")
	}
	n := min(descLen(&r), r.left(), 8)
	var asc uint64
	for _, b := range r.next(n) {
		asc = asc<<8 | uint64(b)
	}
	unread := n * 8
	take := func(k int) int {
		if unread -= k; unread < 0 {
			return -1
		}
		return int(asc >> unread & (1<<k - 1))
	}
	aot := take(5)
	if aot == 31 {
		aot = 32 + take(6)
	}
	if aot < 0 {
		return "", malformed("an AudioSpecificConfig cut short")
	}
	rate := take(4)
	if rate == 15 {
		rate = take(24)
	} else if rate >= 0 && rate < len(aacRates) {
		rate = aacRates[rate]
	}
	if rate > 0 {
		tr.SampleRate = rate
	}
	if ch := take(4); ch >= 1 && ch <= 7 {
		tr.Channels = []int{1, 2, 3, 4, 5, 6, 8}[ch-1]
	}
	return "mp4a.40." + strconv.Itoa(aot), nil
}

// descLen reads a descriptor's length: up to four bytes of seven bits.
func descLen(r *reader) int {
	n := 0
	for i := 0; i < 4; i++ {
		b := r.u8()
		n = n<<7 | int(b&0x7f)
		if b&0x80 == 0 {
			break
		}
	}
	return n
}
