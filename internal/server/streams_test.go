package server_test

import (
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestStreamSession is the Streams API as its users drive it: create a stream,
// start a session with key rotation, publish on rtmp1, play the encrypted live
// HLS, split during the live and after the stop, and delete.
func TestStreamSession(t *testing.T) {
	n := startNode(t, nil)
	bp := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	bp.ID = "small"
	n.Call("POST", "/api/blueprints", bp, nil)

	var st api.StreamInfo
	if code := n.Call("POST", "/api/streams", map[string]any{"name": "Lecture", "description": "Room 101", "segment_length": 2, "blueprint_id": "small"}, &st); code != 200 {
		t.Fatalf("create: %d", code)
	}
	if !strings.HasPrefix(st.RTMP1, "rtmp://") || st.RTMP2 == "" || st.RTMP1 == st.RTMP2 || st.Started {
		t.Fatalf("created stream: %+v", st)
	}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/start", map[string]any{"key_rotation_interval": 2, "startover_window_seconds": 60}, &st); code != 200 || !st.Started || st.CurrentSessionID == nil {
		t.Fatalf("start: %d %+v", code, st)
	}
	session := *st.CurrentSessionID
	if code := n.Call("POST", "/api/streams/"+st.ID+"/start", nil, nil); code != 409 {
		t.Errorf("start while started: %d, want 409", code)
	}
	n.WaitStatus(st.LiveChannelID, domain.StatusRunning)
	pub := e2e.Publish(t, st.RTMP1, 40)
	defer pub.Process.Kill()

	viewer := n.local(st.ViewerEndpoint)
	e2e.WaitFor(t, "the viewer endpoint", 30*time.Second, func() bool {
		code, _, body := e2e.Get(t, viewer)
		return code == 200 && strings.Contains(body, "#EXT-X-STREAM-INF")
	})
	variant := viewer[:strings.LastIndex(viewer, "/")+1] + "180p/index.m3u8"
	var keyURI string
	e2e.WaitFor(t, "an encrypted live playlist with two keys", 30*time.Second, func() bool {
		_, _, body := e2e.Get(t, variant)
		uris := regexp.MustCompile(`#EXT-X-KEY:METHOD=AES-128,URI="([^"]+)"`).FindAllStringSubmatch(body, -1)
		seen := map[string]bool{}
		for _, u := range uris {
			seen[u[1]] = true
			keyURI = u[1]
		}
		return len(seen) >= 2
	})
	resp, err := http.Get(n.Base + keyURI)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(key) != 16 {
		t.Fatalf("key %s: %d, %d bytes", keyURI, resp.StatusCode, len(key))
	}
	e2e.DecodesLive(t, variant, 4) // ffmpeg fetches the keys and decrypts the segments

	// A split during the live session gives a playable VOD index.
	var live api.SplitResult
	e2e.WaitFor(t, "6 s of recording", 30*time.Second, func() bool {
		return n.Call("POST", "/api/streams/"+st.ID+"/split", map[string]any{"session_id": session, "timestamp_list": []map[string]any{{"start": 0, "end": 4}}}, &live) == 200
	})
	if len(live.Indexes) != 1 {
		t.Fatalf("live split: %+v", live)
	}
	_, _, index := e2e.Get(t, n.local(live.Indexes[0]))
	if !strings.Contains(index, "#EXT-X-ENDLIST") || !strings.Contains(index, "#EXT-X-PLAYLIST-TYPE:VOD") {
		t.Errorf("live split index:\n%s", index)
	}
	e2e.Decodes(t, n.local(live.Indexes[0]))

	e2e.WaitFor(t, "12 s of recording", 40*time.Second, func() bool {
		var r api.SplitResult
		return n.Call("POST", "/api/streams/"+st.ID+"/split", map[string]any{"session_id": session, "name_modifier": "probe", "timestamp_list": []map[string]any{{"start": 10, "end": 12}}}, &r) == 200
	})
	pub.Process.Kill()
	if code := n.Call("POST", "/api/streams/"+st.ID+"/stop", nil, &st); code != 200 || st.Started || st.LastStopped == nil {
		t.Fatalf("stop: %d %+v", code, st)
	}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/stop", nil, nil); code != 409 {
		t.Errorf("stop while stopped: %d, want 409", code)
	}
	n.WaitStatus(st.LiveChannelID, domain.StatusDone)

	// After the stop: two sections give two indexes and two MP4s of their length.
	var after api.SplitResult
	body := map[string]any{"session_id": session, "name_modifier": "highlights", "timestamp_list": []map[string]any{{"start": 1, "end": 5}, {"start": 6, "end": 10}}}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/split", body, &after); code != 200 || len(after.Indexes) != 2 || len(after.Clips) != 2 {
		t.Fatalf("split after stop: %d %+v", code, after)
	}
	for _, c := range after.Clips {
		mp4 := n.local(c.MP4)
		d := e2e.Probe(t, "-show_entries", "format=duration", mp4)["format"].(map[string]any)["duration"].(string)
		got, _ := strconv.ParseFloat(d, 64)
		if want := c.End - c.Start; math.Abs(got-want) > 2 {
			t.Errorf("clip %v-%v lasts %.2f s", c.Start, c.End, got)
		}
		if !strings.Contains(c.Index, "index_highlights_") {
			t.Errorf("clip index name %s", c.Index)
		}
	}

	// Bad bodies are refused, naming what is wrong.
	for name, b := range map[string]map[string]any{
		"end before start": {"session_id": session, "timestamp_list": []map[string]any{{"start": 5, "end": 3}}},
		"unknown session":  {"session_id": "nope", "timestamp_list": []map[string]any{{"start": 1, "end": 3}}},
		"outside":          {"session_id": session, "timestamp_list": []map[string]any{{"start": 500, "end": 600}}},
	} {
		var eb api.ErrorBody
		if code := n.Call("POST", "/api/streams/"+st.ID+"/split", b, &eb); code < 400 || code >= 500 || eb.Message == "" {
			t.Errorf("%s: %d %+v", name, code, eb)
		}
	}

	var gone api.StreamInfo
	if code := n.Call("DELETE", "/api/streams/"+st.ID, nil, &gone); code != 200 || gone.ID != st.ID {
		t.Fatalf("delete: %d %+v", code, gone)
	}
	if code := n.Call("GET", "/api/streams/"+st.ID, nil, nil); code != 404 {
		t.Errorf("deleted stream: %d, want 404", code)
	}
}
