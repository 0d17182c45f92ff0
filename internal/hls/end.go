package hls

import "time"

// End is where the media the variant listed ends, on its source's
// timeline; false before any segment. An engine that resumes a run after a
// restart continues its timeline from there.
func (v *Variant) End() (time.Duration, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pl.state.end, v.pl.state.hasEnd
}
