package engine

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/ingest"
	"onair/internal/origin"
	"onair/internal/testutil/fftest"
)

// smallBlueprint is e2e.SmallBlueprint's ladder: 320x180 and 160x90 at 1 s
// GOPs, 2 s segments, recorded at the top rendition.
func smallBlueprint() domain.Blueprint {
	return domain.Blueprint{
		ID: "small", Name: "Small ladder",
		Settings: domain.BlueprintSettings{
			Inputs: []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}},
			Channel: domain.ChannelSettings{
				Class: domain.ClassSinglePipeline,
				Video: []domain.VideoRendition{
					{Name: "180p", Codec: "H264", Width: 320, Height: 180, Bitrate: 300_000, Maxrate: 450_000, GopSeconds: 1, Profile: "high"},
					{Name: "90p", Codec: "H264", Width: 160, Height: 90, Bitrate: 100_000, Maxrate: 150_000, GopSeconds: 1, Profile: "main"},
				},
				Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 64_000, Channels: 2},
			},
			OutputGroups: []domain.OutputGroup{
				{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2, WindowSeconds: 20}},
				{Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "180p", NameModifier: "$w$x$h$"}},
			},
		},
	}
}

// segment is one media segment of a playlist with the key that encrypts it.
type segment struct {
	uri, keyURI, iv string
}

var extKey = regexp.MustCompile(`^#EXT-X-KEY:METHOD=AES-128,URI="(/live/wf/keys/\d+\.key)",IV=0x([0-9a-fA-F]{32})$`)

// segments parses a variant playlist: every segment must follow an AES-128
// #EXT-X-KEY with an origin URI and an IV.
func segments(t *testing.T, playlist string) []segment {
	t.Helper()
	var segs []segment
	var key, iv string
	for _, line := range strings.Split(playlist, "\n") {
		switch {
		case strings.HasPrefix(line, "#EXT-X-KEY:"):
			m := extKey.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("key line %q", line)
			}
			key, iv = m[1], m[2]
		case line != "" && !strings.HasPrefix(line, "#"):
			if key == "" {
				t.Fatalf("segment %s has no key:\n%s", line, playlist)
			}
			segs = append(segs, segment{line, key, iv})
		}
	}
	return segs
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// decrypt undoes HLS AES-128: CBC with PKCS#7 padding.
func decrypt(t *testing.T, data, key []byte, ivHex string) []byte {
	t.Helper()
	iv, _ := hex.DecodeString(ivHex)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		t.Fatalf("ciphertext of %d bytes", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad < 1 || pad > aes.BlockSize {
		t.Fatalf("bad padding %d", pad)
	}
	return out[:len(out)-pad]
}

// TestEncryptedLive runs a real ffmpeg encode, packaged with key rotation every 2 s, fed 8 s of
// media through the engine's router, then 4 s more after a server restart, and
// checks what a player sees through the origin: AES-128 keys in the live
// playlist, rotated; keys served; segments that are not TS as served and TS
// once decrypted, those from before the restart too; the whole playlist decoded
// by ffmpeg fetching the keys itself; the archive in the clear; the keys gone
// with the run.
func TestEncryptedLive(t *testing.T) {
	ffmpeg, ffprobe := fftest.Tools(t)
	src := sourceOf(t, 8)
	data := t.TempDir()
	l, err := NewLocal(Config{DataDir: data, FFmpeg: ffmpeg, FFprobe: ffprobe, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Shutdown(context.Background()) })
	key := domain.NewStreamKey()
	ch := domain.Channel{
		Workflow: domain.Workflow{ID: "wf", Blueprint: smallBlueprint(), CreateArchives: true},
		Run: &domain.Run{ID: "run", Inputs: []domain.Ingest{{Pipeline: 0, App: domain.IngestApp, StreamKey: key}},
			Options: domain.RunOptions{KeyRotationSeconds: 2}},
	}
	ctx := context.Background()
	if _, err := l.Provision(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx, ch); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	pid := l.runs["run"].pipes[0].encoder.Supervisor().PID()
	l.mu.Unlock()

	o, err := origin.New(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	mux := http.NewServeMux()
	o.Register(mux, func(_ string, h http.Handler) http.Handler { return h })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	sink, err := l.Publish(ctx, ingest.PublishRequest{App: domain.IngestApp, Name: key, Path: domain.IngestApp + "/" + key, Remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}})
	if err != nil {
		t.Fatal(err)
	}
	fed := make(chan error, 1)
	played := make(chan struct{})
	go func() {
		defer close(played)
		fed <- src.play(sink)
	}()
	t.Cleanup(func() { <-played }) // a test that fails early still waits for its publisher

	// While the stream is live: the playlist is encrypted, and its keys rotate.
	variant := srv.URL + "/live/wf/180p/index.m3u8"
	keys := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second) // 8 s of media; a loaded machine may lag
	for len(keys) < 2 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		b, err := os.ReadFile(filepath.Join(data, "live/wf/180p/index.m3u8"))
		if err != nil {
			continue
		}
		for _, s := range segments(t, string(b)) {
			keys[s.keyURI] = true
		}
	}
	if len(keys) < 2 {
		t.Fatalf("the live playlist has keys %v, want a rotation", keys)
	}
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	sink.Close(nil)

	// The server restarts: the run is still RUNNING, and a new engine starts it
	// again; its ffmpeg continues the playlists, and its keys follow the old ones.
	l.Shutdown(ctx)
	l, err = NewLocal(Config{DataDir: data, FFmpeg: ffmpeg, FFprobe: ffprobe, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Shutdown(context.Background()) })
	if err := l.Start(ctx, ch); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	pid = l.runs["run"].pipes[0].encoder.Supervisor().PID()
	l.mu.Unlock()
	sink, err = l.Publish(ctx, ingest.PublishRequest{App: domain.IngestApp, Name: key, Path: domain.IngestApp + "/" + key, Remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50001}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.half().play(sink); err != nil {
		t.Fatal(err)
	}
	sink.Close(nil)
	if _, err := l.Stop(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("ffmpeg %d is still there after Stop: %v", pid, err)
	}

	segs := segments(t, string(get(t, variant)))
	for _, s := range segs {
		keys[s.keyURI] = true
	}
	t.Logf("%d segments under %d keys", len(segs), len(keys))
	for i, s := range segs {
		raw := get(t, srv.URL+"/live/wf/180p/"+s.uri)
		if hlstest.IsTS(raw) {
			t.Fatalf("segment %s is served in the clear", s.uri)
		}
		k := get(t, srv.URL+s.keyURI)
		if len(k) != 16 {
			t.Fatalf("key %s: %d bytes", s.keyURI, len(k))
		}
		if plain := decrypt(t, raw, k, s.iv); !hlstest.IsTS(plain) {
			t.Fatalf("segment %d (%s) with key %s does not decrypt to TS", i, s.uri, s.keyURI)
		}
	}

	// A player: ffmpeg fetches the playlist, the keys by their URIs, and the
	// segments, from the origin, and decodes every frame.
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-allowed_extensions", "ALL",
		"-i", variant, "-map", "0:v:0", "-f", "framecrc", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg could not play the encrypted playlist: %v\n%s", err, out)
	}
	frames := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "0,"):
			frames++
		case !strings.HasPrefix(line, "#"):
			t.Errorf("ffmpeg: %s", line)
		}
	}
	// 15 fps, from segments under more than one key.
	if frames < 15*2*2 {
		t.Errorf("ffmpeg decoded %d frames", frames)
	}

	archive, err := os.ReadFile(filepath.Join(data, "archive/wf/run/320x180/index.m3u8"))
	if err != nil || strings.Contains(string(archive), "EXT-X-KEY") || !strings.Contains(string(archive), ".ts") {
		t.Errorf("archive playlist (%v):\n%s", err, archive)
	}

	if err := l.Delete(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "live/wf/keys")); !os.IsNotExist(err) {
		t.Errorf("the keys outlive the run's deletion: %v", err)
	}
	// The live files go in the background, out of the origin's tree.
	deadline = time.Now().Add(10 * time.Second)
	for {
		left, err := os.ReadDir(filepath.Join(data, trashDir))
		if err != nil {
			t.Fatalf("the live directory did not go through the trash: %v", err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted live directory is still in the trash: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
