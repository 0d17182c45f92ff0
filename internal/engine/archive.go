package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"onair/internal/clip"
	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/recorder"
)

// finalizeArchive gives an archive its recorder finished its MP4 and
// figures. The recorder builds the MP4 as the run goes, so that there is
// nothing left to do; only when it could not (a source changed the codec
// configuration half-way) is the MP4 made from the playlist with a stream
// copy. An archive that never received media has no playlist and no MP4,
// and fileSize 0.
//
// An archive with a mirror goes to its bucket: the rest of its segments and
// its ended playlist, then its MP4 in parts, after which the data
// directory's copy is deleted. One in a bucket of its own is not merged:
// it has no MP4, and its fileSize is its segments'.
func (l *Local) finalizeArchive(ctx context.Context, a pipeline.ArchiveOutput, rec *recorder.Recorder, mirror *recorder.Mirror, pipe, n int, runID string) (domain.Archive, error) {
	rel := strings.TrimPrefix(a.Dir, pipeline.ArchiveRoot+"/")
	arch := domain.Archive{ID: fmt.Sprintf("%s-%d", runID, n), Pipeline: pipe}
	playlist := filepath.Join(l.cfg.DataDir, a.Playlist())
	dir := filepath.Join(l.cfg.DataDir, a.Dir)
	if !hasSegments(playlist) {
		if mirror != nil {
			return arch, l.dropLocal(a) // nothing to keep
		}
		return arch, nil
	}
	arch.Playlist = path.Join(rel, recorder.Playlist)
	if !a.Merge {
		size, err := mirror.Finish(ctx, "")
		if err != nil {
			return arch, fmt.Errorf("archive %s: %w", rel, err)
		}
		arch.FileSize, arch.Duration = size, recordedSeconds(playlist)
		arch.Location = mirror.Location(a.Playlist())
		return arch, l.dropLocal(a) // with the MP4 the recorder built as it went: no merge here
	}
	mp4 := recorder.MP4Of(dir)
	dur, built := rec.MP4()
	if !built {
		tmp := mp4 + ".tmp"
		cmd := exec.CommandContext(ctx, l.cfg.FFmpeg, "-hide_banner", "-loglevel", "error", "-y",
			"-i", playlist, "-map", "0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			return arch, fmt.Errorf("archive %s: making the MP4: %v: %s", rel, err, lastLine(out))
		}
		if err := os.Rename(tmp, mp4); err != nil {
			return arch, err
		}
		probed, err := l.probeDuration(ctx, mp4)
		if err != nil {
			return arch, fmt.Errorf("archive %s: %w", rel, err)
		}
		dur = time.Duration(probed * float64(time.Second))
	}
	st, err := os.Stat(mp4)
	if err != nil {
		return arch, err
	}
	arch.MP4 = rel + ".mp4"
	arch.FileSize = st.Size()
	arch.Duration = dur.Seconds()
	if mirror == nil {
		return arch, nil
	}
	if _, err := mirror.Finish(ctx, a.Dir+".mp4"); err != nil {
		return arch, fmt.Errorf("archive %s: %w", rel, err)
	}
	arch.Location = mirror.Location(a.Playlist())
	return arch, l.dropLocal(a)
}

// dropLocal takes the data directory's copy of an archive that is whole in
// its bucket, its directory and its MP4, out of archive/ at once (into the
// trash, deleted in the background, as live directories are), and the
// directories above it that it leaves empty.
func (l *Local) dropLocal(a pipeline.ArchiveOutput) error {
	mp4 := a.Dir + ".mp4"
	disk := l.cfg.Storage.Disk
	if err := l.discard(filepath.Base(a.Dir), disk.Path(a.Dir), disk.Path(mp4)); err != nil {
		return fmt.Errorf("deleting the uploaded archive's local copy: %w", err)
	}
	return disk.Delete(context.Background(), mp4) // gone already: this prunes the empty directories
}

// recordedSeconds is how long the segments of an archive's playlist last.
func recordedSeconds(playlist string) float64 {
	b, err := os.ReadFile(playlist)
	if err != nil {
		return 0
	}
	segs, _, err := clip.Parse(b)
	if err != nil {
		return 0
	}
	return clip.Total(segs)
}

// hasSegments reports whether a playlist lists at least one segment.
func hasSegments(playlist string) bool {
	b, err := os.ReadFile(playlist)
	return err == nil && bytes.Contains(b, []byte("#EXTINF"))
}

func (l *Local) probeDuration(ctx context.Context, file string) (float64, error) {
	out, err := exec.CommandContext(ctx, l.cfg.FFprobe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", file).Output()
	if err != nil {
		return 0, fmt.Errorf("probing %s: %w", filepath.Base(file), err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, fmt.Errorf("probing %s: duration %q", filepath.Base(file), out)
	}
	return d, nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
