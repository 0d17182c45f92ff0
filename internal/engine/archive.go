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
func (l *Local) finalizeArchive(ctx context.Context, a pipeline.ArchiveOutput, rec *recorder.Recorder, pipe, n int, runID string) (domain.Archive, error) {
	rel := strings.TrimPrefix(a.Dir, pipeline.ArchiveRoot+"/")
	arch := domain.Archive{ID: fmt.Sprintf("%s-%d", runID, n), Pipeline: pipe}
	playlist := filepath.Join(l.cfg.DataDir, a.Playlist())
	if !hasSegments(playlist) {
		return arch, nil
	}
	arch.Playlist = path.Join(rel, recorder.Playlist)
	mp4 := recorder.MP4Of(filepath.Join(l.cfg.DataDir, a.Dir))
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
	return arch, nil
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
