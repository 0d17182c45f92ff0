package pipeline

import (
	"path"
	"strconv"
	"strings"
	"time"

	"onair/internal/domain"
	"onair/internal/storage"
)

// Data directory layout, relative to the data directory.
const (
	LiveRoot    = "live"
	ArchiveRoot = "archive"
	// KeysDir is the directory of a live directory that holds its AES-128
	// keys; the origin serves .key files only from a directory of this name.
	KeysDir = "keys"
)

// WorkflowOfPath reads a playback URL path by the data directory's layout:
// /live/<workflow>/<file> or /archive/<workflow>/<file>. It returns the
// root (LiveRoot or ArchiveRoot), the workflow and the rest of the path;
// ok is false for any other path.
func WorkflowOfPath(p string) (root, workflowID, file string, ok bool) {
	for _, root := range []string{LiveRoot, ArchiveRoot} {
		if rest, found := strings.CutPrefix(p, "/"+root+"/"); found {
			workflowID, file, _ = strings.Cut(rest, "/")
			return root, workflowID, file, workflowID != ""
		}
	}
	return "", "", "", false
}

// LiveDir is where pipeline p of a workflow's channel writes its live HLS: the
// workflow's directory, or its pipeline subdirectory (0/, 1/) in a STANDARD channel.
func LiveDir(workflowID string, class domain.ChannelClass, p int) string {
	dir := path.Join(LiveRoot, workflowID)
	if class == domain.ClassStandard {
		dir = path.Join(dir, strconv.Itoa(p))
	}
	return dir
}

// OutputDir is the directory of a live output of a live directory: the live
// directory itself for TS, its cmaf subdirectory for CMAF. Its master
// playlist is OutputDir/LivePlaylist.
func OutputDir(liveDir, format string) string {
	if format == domain.FormatCMAF {
		return path.Join(liveDir, CMAFDir)
	}
	return liveDir
}

// VariantDir is where a live output writes one rendition's variant, its
// playlist and segments: outputDir/<rendition>. A passthrough run's one
// rendition is domain.RenditionSource.
func VariantDir(outputDir, rendition string) string { return path.Join(outputDir, rendition) }

// SpecFor resolves pipeline p of a run: its live directory and live outputs,
// the directory of each archive, and the URL of each RTMP destination, with
// the run's options (archive directory, start-over window, archive segment
// length, key rotation) applied.
func SpecFor(wf *domain.Workflow, run *domain.Run, p int) Spec {
	s := wf.EffectiveSettings()
	opts := run.Options
	if opts.WindowSeconds > 0 || opts.ArchiveSegmentSeconds > 0 {
		s.OutputGroups = append([]domain.OutputGroup(nil), s.OutputGroups...)
		for i, g := range s.OutputGroups {
			if g.Type == domain.OutputHLS && g.DestinationID == "" && opts.WindowSeconds > 0 {
				h := *g.HLS
				h.WindowSeconds = opts.WindowSeconds
				s.OutputGroups[i].HLS = &h
			}
			if g.Type == domain.OutputArchive && opts.ArchiveSegmentSeconds > 0 {
				a := *g.Archive
				a.SegmentSeconds = opts.ArchiveSegmentSeconds
				s.OutputGroups[i].Archive = &a
			}
		}
	}
	archiveBase := ArchiveBase(wf, run)
	spec := Spec{Settings: s, LiveDir: LiveDir(wf.ID, s.Channel.Class, p)}
	if opts.KeyRotationSeconds > 0 {
		spec.KeyDir = path.Join(spec.LiveDir, KeysDir)
		spec.KeyRotation = time.Duration(opts.KeyRotationSeconds) * time.Second
	}
	for _, h := range s.OriginHLSGroups() {
		out := LiveOutput{
			Format:  h.SegmentFormat(),
			Dir:     OutputDir(spec.LiveDir, h.SegmentFormat()),
			Segment: time.Duration(h.SegmentSeconds) * time.Second,
			Window:  time.Duration(h.WindowSeconds) * time.Second,
			Part:    time.Duration(h.Part() * float64(time.Second)),
		}
		if opts.Plays(out.Format) {
			spec.Live = append(spec.Live, out)
		}
	}
	spec.Live = withPlayoutCMAF(run.Options, spec)
	dests := map[string]domain.Destination{}
	for _, d := range s.Destinations {
		dests[d.ID] = d
	}
	for _, g := range s.OutputGroups {
		switch g.Type {
		case domain.OutputArchive:
			name := domain.ArchiveName(g.Archive.NameModifier, s.Channel.Class, p, archiveRendition(s, *g.Archive))
			seconds := g.Archive.SegmentSeconds
			if hls := s.OriginHLS(); seconds == 0 && hls != nil {
				seconds = hls.SegmentSeconds
			}
			a := ArchiveOutput{
				Settings: *g.Archive,
				Dir:      path.Join(archiveBase, name),
				Segment:  time.Duration(seconds) * time.Second,
				Merge:    true,
			}
			if d, ok := dests[g.DestinationID]; ok && p < len(d.Settings) {
				// A bucket of its own: segments and playlist, and no merge,
				// as the guide has it.
				a.Location, _ = storage.ParseLocation(d.Settings[p].URL)
				a.Merge = false
			}
			spec.Archives = append(spec.Archives, a)
		case domain.OutputRTMP:
			d := dests[g.DestinationID]
			if p < len(d.Settings) {
				spec.Destinations = append(spec.Destinations, DestinationOutput{ID: d.ID, URL: destinationURL(d.Settings[p]), Rendition: d.Rendition})
			}
		case domain.OutputHLS:
			d, ok := dests[g.DestinationID]
			if !ok || p >= len(d.Settings) || g.HLS == nil {
				continue
			}
			// Packaged for the destination alone, with the group's own
			// settings, in the clear and without parts.
			out := LiveOutput{
				Format:  g.HLS.SegmentFormat(),
				Dir:     path.Join(spec.LiveDir, PushDir, d.ID),
				Segment: time.Duration(g.HLS.SegmentSeconds) * time.Second,
				Window:  time.Duration(g.HLS.WindowSeconds) * time.Second,
				Push:    true,
			}
			spec.Live = append(spec.Live, out)
			ds := d.Settings[p]
			dest := DestinationOutput{ID: d.ID, URL: domain.ExpandEvent(ds.URL, wf.Name), HLS: &out,
				Username: ds.Username, Password: ds.PasswordParam, Method: d.Method}
			if bucket, prefix, ok := domain.BucketURL(dest.URL); ok {
				dest.Bucket = &BucketTarget{Location: storage.Location{Bucket: bucket, Prefix: prefix}}
				if bucket == "" {
					// The guide's "the Live Service automatically assembles
					// the url": the server's storage, under live/.
					dest.Bucket = &BucketTarget{Key: path.Join(LiveRoot, wf.ID, strconv.Itoa(p))}
				}
			}
			spec.Destinations = append(spec.Destinations, dest)
		}
	}
	return spec
}

// withPlayoutCMAF adds a CMAF output beside a TS one to a run that started
// with playout profiles: their DASH, their encryption and their per-track
// manifests are made from CMAF. It has the TS output's segments and window,
// and no URL of its own: the profiles' manifests are how it is played. A
// run whose live HLS is encrypted (key rotation) gets none, as Plays says.
func withPlayoutCMAF(opts domain.RunOptions, spec Spec) []LiveOutput {
	if !opts.PlayoutCMAF || !opts.Plays(domain.FormatCMAF) || len(spec.Live) == 0 {
		return spec.Live
	}
	for _, o := range spec.Live {
		if o.Format == domain.FormatCMAF {
			return spec.Live
		}
	}
	ts := spec.Live[0]
	return append(spec.Live, LiveOutput{Format: domain.FormatCMAF, Dir: OutputDir(spec.LiveDir, domain.FormatCMAF),
		Segment: ts.Segment, Window: ts.Window})
}

// archiveRendition is the rendition an archive records, for its name tokens; the
// source has no known size, so its tokens expand to zero values.
func archiveRendition(s domain.BlueprintSettings, a domain.ArchiveSettings) domain.VideoRendition {
	if a.Video != nil {
		return *a.Video
	}
	for _, v := range s.Channel.Video {
		if v.Name == a.Rendition {
			return v
		}
	}
	return domain.VideoRendition{}
}

// PushDir is the directory under a pipeline's live directory where each HLS
// push destination's output is packaged, in a directory named after it.
const PushDir = "push"

func destinationURL(d domain.DestinationSetting) string {
	if d.StreamName == "" {
		return d.URL
	}
	return strings.TrimRight(d.URL, "/") + "/" + d.StreamName
}

// ArchiveBase is the directory under which a run's archives go: the run's
// ArchiveDir option, or archive/<workflow>/<run>.
func ArchiveBase(wf *domain.Workflow, run *domain.Run) string {
	if run.Options.ArchiveDir != "" {
		return path.Join(ArchiveRoot, run.Options.ArchiveDir)
	}
	return path.Join(ArchiveRoot, wf.ID, run.ID)
}
