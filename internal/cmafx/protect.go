package cmafx

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// Key is one content key of a profile, as its key server hands it out.
type Key struct {
	KID [16]byte // the key id players ask the license server for
	Key [16]byte // the AES-128 key
	// IV is, with "cbcs", the constant IV of every sample. With "cenc" it
	// seeds the IVs, which are derived per fragment (see Protector).
	IV [16]byte
}

// PSSH is a protection system's header, written as a pssh box into the
// protected init section, where players find what their DRM system needs.
type PSSH struct {
	SystemID [16]byte
	// KIDs, if any, make a version 1 box listing them (what ClearKey reads).
	KIDs [][16]byte
	Data []byte
}

// ClearKeySystemID is the W3C common system id
// 1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, whose version 1 pssh lists the key
// ids: what Chrome's and Shaka's ClearKey read.
var ClearKeySystemID = [16]byte{0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b}

// Marshal returns the pssh box, as a DASH manifest's cenc:pssh carries it
// (base64).
func (p PSSH) Marshal() []byte {
	box := &mp4.PsshBox{SystemID: mp4.UUID(bytes.Clone(p.SystemID[:])), Data: p.Data}
	if len(p.KIDs) > 0 {
		box.Version = 1
		for _, k := range p.KIDs {
			box.KIDs = append(box.KIDs, mp4.UUID(bytes.Clone(k[:])))
		}
	}
	var w bytes.Buffer
	_ = box.Encode(&w) // a bytes.Buffer does not fail
	return w.Bytes()
}

// Protector encrypts the fragments of one single-track stream with one key.
// It keeps no state between segments, so a segment encrypts the same
// whenever and wherever it is asked for, and Segment may be called from
// several goroutines at once.
//
// With "cenc", each fragment's samples take IVs from one 16-byte counter
// block: its first 8 bytes are an HMAC-SHA-256, keyed with the content key,
// of Key.IV, the track id, the fragment's baseMediaDecodeTime and a digest
// of its samples and their sizes; its last 8 bytes count AES blocks from 0,
// each sample starting after the blocks of the one before. Two different
// fragments get different IVs with near certainty, even where a timeline
// starts over under the same key (a new run of a channel), and the same
// fragment always gets the same ones. Counting in the low 8 bytes only,
// from 0, keeps players that carry into 64 bits (ffmpeg) and those that
// carry into 128 (Go, BoringSSL) in agreement.
type Protector struct {
	key    Key
	scheme string
	id     uint32
	trex   *trex
	avc    bool
	sps    map[uint32]*avc.SPS // for cbcs: slice headers stay in the clear
	pps    map[uint32]*avc.PPS
	tenc   *mp4.TencBox
}

// NewProtector takes a single-track init section (from SplitInit) and
// returns its protector and the protected init section: its sample entry
// becomes encv or enca with a sinf (frma, schm, tenc), and psshs go into
// its moov. scheme is "cenc" (AES-CTR, for Widevine, PlayReady, ClearKey)
// or "cbcs" (AES-CBC, a 1:9 pattern on video and a constant IV, for
// FairPlay and HLS). H.264 (avc1, avc3) and AAC (mp4a) can be encrypted;
// H.265 cannot yet (ErrUnsupported).
func NewProtector(init []byte, k Key, scheme string, psshs []PSSH) (*Protector, []byte, error) {
	if scheme != "cenc" && scheme != "cbcs" {
		return nil, nil, fmt.Errorf("cmafx: unknown protection scheme %q (cenc or cbcs)", scheme)
	}
	t, err := parseInit(init)
	if err != nil {
		return nil, nil, err
	}
	var traks []*node
	for _, n := range t.moov.kids {
		if n.typ == "trak" {
			traks = append(traks, n)
		}
	}
	if len(traks) != 1 {
		return nil, nil, fmt.Errorf("cmafx: an init section with %d tracks: split it first (SplitInit)", len(traks))
	}
	trak := traks[0]
	tr, ok, err := trackInfo(trak)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, unsupported("track %d is neither video nor audio", tr.ID)
	}
	p := &Protector{key: k, scheme: scheme, id: tr.ID}
	if p.trex, err = t.trex(tr.ID); err != nil {
		return nil, nil, err
	}
	path := []*node{t.moov, trak}
	for _, typ := range []string{"mdia", "minf", "stbl", "stsd"} {
		path = append(path, path[len(path)-1].child(typ))
	}
	stsd := path[len(path)-1]
	if len(stsd.kids) != 1 {
		return nil, nil, unsupported("track %d has %d sample entries", tr.ID, len(stsd.kids))
	}
	entry := stsd.kids[0]
	p.tenc = &mp4.TencBox{DefaultIsProtected: 1, DefaultKID: mp4.UUID(bytes.Clone(k.KID[:]))}
	switch entry.typ {
	case "avc1", "avc3":
		p.avc = true
		if err := p.avcConfig(entry.child("avcC").payload()); err != nil {
			return nil, nil, fmt.Errorf("track %d: %w", tr.ID, err)
		}
	case "mp4a":
	case "encv", "enca":
		return nil, nil, fmt.Errorf("cmafx: track %d is protected already", tr.ID)
	default:
		return nil, nil, unsupported("encryption of %s is not supported", entry.typ)
	}
	if scheme == "cenc" {
		p.tenc.DefaultPerSampleIVSize = 16
	} else {
		// Version 1 carries the pattern: 1 block in 10 on video, every
		// whole block of an audio sample (0:0).
		p.tenc.Version = 1
		p.tenc.DefaultConstantIV = bytes.Clone(k.IV[:])
		if p.avc {
			p.tenc.DefaultCryptByteBlock, p.tenc.DefaultSkipByteBlock = 1, 9
		}
	}
	sinf := &mp4.SinfBox{}
	sinf.AddChild(&mp4.FrmaBox{DataFormat: entry.typ})
	sinf.AddChild(&mp4.SchmBox{SchemeType: scheme, SchemeVersion: 0x10000})
	schi := &mp4.SchiBox{}
	schi.AddChild(p.tenc)
	sinf.AddChild(schi)
	var b bytes.Buffer
	if err := sinf.Encode(&b); err != nil {
		return nil, nil, err
	}
	protected := entry.with(append(entry.kids[:len(entry.kids):len(entry.kids)], leafNode(b.Bytes())))
	protected.typ = "encv"
	if tr.Kind == "audio" {
		protected.typ = "enca"
	}
	// Rebuild the boxes from the sample entry up to the moov.
	cur := protected
	for i := len(path) - 1; i >= 0; i-- {
		kids := make([]*node, 0, len(path[i].kids)+len(psshs))
		for _, k := range path[i].kids {
			if i < len(path)-1 && k == path[i+1] || i == len(path)-1 && k == entry {
				k = cur
			}
			kids = append(kids, k)
		}
		if i == 0 {
			for _, ps := range psshs {
				kids = append(kids, leafNode(ps.Marshal()))
			}
		}
		cur = path[i].with(kids)
	}
	var w bytes.Buffer
	if t.ftyp != nil {
		t.ftyp.write(&w)
	}
	cur.write(&w)
	return p, w.Bytes(), nil
}

// avcConfig reads an avcC: NAL units must have 4-byte lengths, as the
// protection ranges read them, and for cbcs the parameter sets are parsed
// to find where slice headers end.
func (p *Protector) avcConfig(c []byte) error {
	if len(c) < 6 {
		return malformed("an avcC of %d bytes", len(c))
	}
	if n := c[4]&3 + 1; n != 4 {
		return unsupported("NAL unit lengths of %d bytes", n)
	}
	if p.scheme != "cbcs" {
		return nil
	}
	r := reader{b: c[5:]}
	var sets [2][][]byte
	for i := range sets {
		n := int(r.u8())
		if i == 0 {
			n &= 0x1f
		}
		for j := 0; j < n; j++ {
			l := int(r.u16())
			if l > r.left() {
				return malformed("an avcC cut short")
			}
			sets[i] = append(sets[i], r.next(l))
		}
	}
	if r.bad || len(sets[0]) == 0 || len(sets[1]) == 0 {
		return malformed("an avcC without SPS or PPS")
	}
	p.sps, p.pps = map[uint32]*avc.SPS{}, map[uint32]*avc.PPS{}
	return guard(func() error {
		for _, b := range sets[0] {
			sps, err := avc.ParseSPSNALUnit(b, false)
			if err != nil {
				return malformed("the avcC's SPS: %v", err)
			}
			p.sps[sps.ParameterID] = sps
		}
		for _, b := range sets[1] {
			pps, err := avc.ParsePPSNALUnit(b, p.sps)
			if err != nil {
				return malformed("the avcC's PPS: %v", err)
			}
			if pps.SeqParameterSetID != pps.PicParameterSetID {
				// mp4ff's slice header parser looks the SPS up by the
				// PPS's own id: it would read slice headers wrongly.
				return unsupported("cbcs with PPS %d of SPS %d", pps.PicParameterSetID, pps.SeqParameterSetID)
			}
			p.pps[pps.PicParameterSetID] = pps
		}
		return nil
	})
}
