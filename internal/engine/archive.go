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

	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/recorder"
)

const endList = "#EXT-X-ENDLIST"

// endPlaylists makes sure every live variant playlist of a pipeline ends with
// #EXT-X-ENDLIST, which ffmpeg writes itself when it stops cleanly.
func (l *Local) endPlaylists(spec pipeline.Spec) error {
	dir := filepath.Join(l.cfg.DataDir, spec.LiveDir)
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "index.m3u8"))
	for _, m := range matches {
		if err := l.endPlaylist(m); err != nil {
			return err
		}
	}
	return nil
}

// endPlaylist appends #EXT-X-ENDLIST to a playlist that lacks it, writing a
// temporary file and renaming it so that readers never see half a playlist.
func (l *Local) endPlaylist(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	if bytes.Contains(b, []byte(endList)) {
		return nil
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	b = append(b, endList+"\n"...)
	return writeAtomic(file, b, 0o644)
}

// lastSegment is the URI of a playlist's last segment, "" when it has none.
func lastSegment(playlist []byte) string {
	lines := strings.Split(string(playlist), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if line := strings.TrimSpace(lines[i]); line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

// finalizeArchive builds the MP4 of an archive its recorder finished, with a
// stream copy and faststart. An archive that never received media has no
// playlist and no MP4, and fileSize 0.
func (l *Local) finalizeArchive(ctx context.Context, a pipeline.ArchiveOutput, pipe, n int, runID string) (domain.Archive, error) {
	rel := strings.TrimPrefix(a.Dir, pipeline.ArchiveRoot+"/")
	arch := domain.Archive{ID: fmt.Sprintf("%s-%d", runID, n), Pipeline: pipe}
	playlist := filepath.Join(l.cfg.DataDir, a.Playlist())
	if !hasSegments(playlist) {
		return arch, nil
	}
	arch.Playlist = path.Join(rel, recorder.Playlist)
	mp4 := filepath.Join(l.cfg.DataDir, a.Dir+".mp4")
	tmp := filepath.Join(l.cfg.DataDir, a.Dir+".tmp.mp4")
	cmd := exec.CommandContext(ctx, l.cfg.FFmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-i", playlist, "-map", "0", "-c", "copy", "-movflags", "+faststart", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return arch, fmt.Errorf("archive %s: making the MP4: %v: %s", rel, err, lastLine(out))
	}
	if err := os.Rename(tmp, mp4); err != nil {
		return arch, err
	}
	st, err := os.Stat(mp4)
	if err != nil {
		return arch, err
	}
	dur, err := l.probeDuration(ctx, mp4)
	if err != nil {
		return arch, fmt.Errorf("archive %s: %w", rel, err)
	}
	arch.MP4 = rel + ".mp4"
	arch.FileSize = st.Size()
	arch.Duration = dur
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
