package cmafx

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Segment encrypts every fragment of a single-track segment (from
// SplitSegment) and returns the new bytes: each traf gains the saiz, saio
// and senc that say how its samples are encrypted. seg is not modified.
func (p *Protector) Segment(seg []byte) ([]byte, error) {
	return rewriteFragments(seg, p.id, func(f *fragment, w *bytes.Buffer) (bool, error) {
		if len(f.trafs) != 1 || f.trafs[0].tfhd.id != p.id {
			return false, fmt.Errorf("cmafx: the fragment at %d is not one of track %d alone: split the segment first", f.at, p.id)
		}
		tf := f.trafs[0]
		if tf.count() == 0 {
			return false, nil
		}
		if tf.encrypted() {
			return false, fmt.Errorf("cmafx: the fragment at %d is encrypted already", f.at)
		}
		if !tf.hasTime {
			return false, malformed("the fragment at %d has no tfdt", f.at)
		}
		f.locate(func(uint32) *trex { return p.trex })
		if tf.err != nil {
			return false, tf.err
		}
		o := f.single(seg, tf)
		for i := range o.data {
			o.data[i] = bytes.Clone(o.data[i]) // encrypted in place
		}
		if err := p.encrypt(tf, o); err != nil {
			return false, fmt.Errorf("cmafx: the fragment at %d: %w", f.at, err)
		}
		return true, o.write(w)
	})
}

// encrypt encrypts o's samples in place and adds saiz, saio and senc to
// its traf.
func (p *Protector) encrypt(tf *trackFrag, o *fragOut) error {
	var iv [16]byte
	if p.scheme == "cenc" {
		iv = p.fragmentIV(tf, o)
	}
	var entries [][]byte
	subsamples := false
	for ti, t := range tf.truns {
		data := o.data[ti]
		for i := range t.samples {
			n, err := t.size(i, &tf.tfhd, p.trex)
			if err != nil {
				return err
			}
			s := data[:n:n]
			data = data[n:]
			var ranges []mp4.SubSamplePattern
			if p.avc {
				if ranges, err = p.avcRanges(s); err != nil {
					return fmt.Errorf("sample %d: %w", len(entries), err)
				}
				subsamples = true
			}
			var entry []byte
			switch p.scheme {
			case "cenc":
				err = mp4.CryptSampleCenc(s, p.key.Key[:], iv[:], ranges)
				entry = append(entry, iv[:]...)
				advance(&iv, ranges, len(s))
			case "cbcs":
				err = mp4.EncryptSampleCbcs(s, p.key.Key[:], p.key.IV[:], ranges, p.tenc)
			}
			if err != nil {
				return err
			}
			if p.avc {
				if len(ranges) > 0xffff {
					return unsupported("a sample of %d subsamples", len(ranges))
				}
				entry = binary.BigEndian.AppendUint16(entry, uint16(len(ranges)))
				for _, r := range ranges {
					entry = binary.BigEndian.AppendUint16(entry, r.BytesOfClearData)
					entry = binary.BigEndian.AppendUint32(entry, r.BytesOfProtectedData)
				}
			}
			entries = append(entries, entry)
		}
	}
	// saiz: one size for all when they agree, else a table.
	saiz := []byte{byte(len(entries[0]))}
	for _, e := range entries {
		if len(e) != len(entries[0]) || len(e) == 0 {
			saiz[0] = 0
		}
	}
	saiz = binary.BigEndian.AppendUint32(saiz, uint32(len(entries)))
	senc := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	for _, e := range entries {
		if saiz[0] == 0 {
			saiz = append(saiz, byte(len(e)))
		}
		senc = append(senc, e...)
	}
	var flags uint32
	if subsamples {
		flags = 0x2 // use_subsample_encryption
	}
	o.saio, o.senc = len(o.kids)+1, len(o.kids)+2
	o.kids = append(o.kids, fullBox("saiz", 0, 0, saiz),
		fullBox("saio", 0, 0, []byte{0, 0, 0, 1, 0, 0, 0, 0}), // one offset, set by write
		fullBox("senc", 0, flags, senc))
	return nil
}

// avcRanges returns the clear and protected byte ranges of an H.264 sample
// (slice data protected, NAL headers and other NAL units clear), after
// checking that its NAL units fill it exactly: mp4ff slices by their
// lengths without checking them.
func (p *Protector) avcRanges(s []byte) ([]mp4.SubSamplePattern, error) {
	for pos := 0; pos < len(s); {
		if len(s)-pos < 5 {
			return nil, malformed("a sample whose NAL units do not fill it")
		}
		n := int(binary.BigEndian.Uint32(s[pos:]))
		if n == 0 || n > len(s)-pos-4 {
			return nil, malformed("a NAL unit of %d bytes with %d left", n, len(s)-pos-4)
		}
		pos += 4 + n
	}
	var ranges []mp4.SubSamplePattern
	err := guard(func() error {
		var err error
		ranges, err = mp4.GetAVCProtectRanges(p.sps, p.pps, s, p.scheme)
		return err
	})
	if err != nil {
		return nil, err
	}
	total := 0
	for _, r := range ranges {
		total += int(r.BytesOfClearData) + int(r.BytesOfProtectedData)
	}
	if total != len(s) {
		return nil, fmt.Errorf("cmafx: protection ranges cover %d of %d bytes", total, len(s))
	}
	return ranges, nil
}

// fragmentIV is the counter block of a fragment's first sample (see
// Protector). The digest covers the truns (how the data is cut into
// samples) and the data, in the clear.
func (p *Protector) fragmentIV(tf *trackFrag, o *fragOut) [16]byte {
	digest := sha256.New()
	for i, k := range o.truns {
		digest.Write(o.kids[k])
		digest.Write(o.data[i])
	}
	mac := hmac.New(sha256.New, p.key.Key[:])
	mac.Write([]byte("onair cmafx cenc fragment iv\x00"))
	mac.Write(p.key.IV[:])
	mac.Write(binary.BigEndian.AppendUint32(nil, p.id))
	mac.Write(binary.BigEndian.AppendUint64(nil, tf.time))
	mac.Write(digest.Sum(nil))
	var iv [16]byte
	copy(iv[:8], mac.Sum(nil))
	return iv
}

// advance moves the block counter in iv's last 8 bytes past the AES blocks
// a sample used: its protected bytes, one key stream across its ranges.
func advance(iv *[16]byte, ranges []mp4.SubSamplePattern, size int) {
	protected := uint64(size)
	if len(ranges) > 0 {
		protected = 0
		for _, r := range ranges {
			protected += uint64(r.BytesOfProtectedData)
		}
	}
	ctr := binary.BigEndian.Uint64(iv[8:]) + (protected+15)/16
	binary.BigEndian.PutUint64(iv[8:], ctr)
}
