package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"onair/bench/internal/benchkit"
)

// provisionMetas are the provisions P1 starts: a stream passed through, and
// the Stream Manager document's 3-level ladder (800x600, 640x480 and
// 320x240 at 750, 500 and 300 kbps), which onair encodes below the
// publisher's own level 1.
var provisionMetas = []struct{ name, meta string }{
	{"passthrough", `{"qos": 3}`},
	{"3-level ladder", `{"stream": [
		{"name": "bench_3", "level": 3, "properties": {"videoWidth": 320, "videoHeight": 240, "videoBR": 300000, "videoFPS": 15}},
		{"name": "bench_2", "level": 2, "properties": {"videoWidth": 640, "videoHeight": 480, "videoBR": 500000, "videoFPS": 30}},
		{"name": "bench_1", "level": 1, "properties": {"videoWidth": 800, "videoHeight": 600, "videoBR": 750000, "videoFPS": 30}}], "qos": 3}`},
}

// provisionRow prints P1 for provisions: a publisher to a provisioned path
// starts its run, PROVISIONING → RUNNING (the run's start request to its
// start, as the server records them), and, for what the encoder sees, the
// publisher's process start → RUNNING, which includes ffmpeg's own start
// and the RTMP handshake.
func provisionRow(bin, dir string, starts int) error {
	srv, err := benchkit.StartServerWith(bin, filepath.Join(dir, "provisions"), "--provision-grace", "1s")
	if err != nil {
		return err
	}
	defer srv.Stop()
	src := filepath.Join(dir, "provision-source.flv")
	// The document's level 1: 800x600 at 30 fps, 750 kbps, a 2 s GOP.
	mk := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=800x600:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264", "-preset", "veryfast",
		"-b:v", "750k", "-g", "60", "-c:a", "aac", "-b:a", "96k", "-y", src)
	if out, err := mk.CombinedOutput(); err != nil {
		return fmt.Errorf("making the source: %v: %s", err, out)
	}
	fmt.Printf("\nP1: provision start, a publisher to rtmp://HOST/live/<stream> → RUNNING, %d starts each (800x600@30 source, -c copy)\n", starts)
	for i, p := range provisionMetas {
		stream := fmt.Sprintf("bench%d", i)
		if err := createProvision(srv.Client, stream, p.meta); err != nil {
			return err
		}
		var server, publisher []time.Duration
		for n := 0; n < starts; n++ {
			t0 := time.Now()
			pub := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", src, "-c", "copy", "-f", "flv",
				"rtmp://"+srv.RTMPAddr+"/live/"+stream)
			if err := pub.Start(); err != nil {
				return err
			}
			id, ch, err := waitRunning(srv.Client, "live/"+stream)
			if err != nil {
				pub.Process.Kill()
				pub.Wait()
				return fmt.Errorf("%s: %w", p.name, err)
			}
			publisher = append(publisher, time.Since(t0))
			server = append(server, ch.StartedDateTime.Sub(ch.StartRequestedDateTime))
			pub.Wait()
			if _, err := srv.Client.WaitStatusFor(id, "DONE", 20*time.Millisecond, 30*time.Second); err != nil {
				return fmt.Errorf("%s: after its publisher left: %w", p.name, err)
			}
		}
		for _, d := range [][]time.Duration{server, publisher} {
			sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		}
		fmt.Printf("  %-16s PROVISIONING → RUNNING p50 %7.1f ms  p99 %7.1f ms   publisher start → RUNNING p50 %7.1f ms  p99 %7.1f ms\n", p.name,
			benchkit.MS(benchkit.Pct(server, 50)), benchkit.MS(benchkit.Pct(server, 99)), benchkit.MS(benchkit.Pct(publisher, 50)), benchkit.MS(benchkit.Pct(publisher, 99)))
	}
	return nil
}

// runProvisions is the provisions' P1 alone.
func runProvisions(bin string, starts int) error {
	dir, err := os.MkdirTemp("", "onairbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("onair benchmark on %s\n", benchkit.Host())
	return provisionRow(bin, dir, starts)
}

func createProvision(c benchkit.Client, stream, meta string) error {
	req, _ := http.NewRequest("POST", c.Base+"/streammanager/api/4.0/admin/event/meta/live/"+stream+"?accessToken="+benchkit.AdminKey,
		bytes.NewReader([]byte(`{"meta": `+meta+`}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("creating provision live/%s: %d", stream, resp.StatusCode)
	}
	return nil
}

// waitRunning waits for the channel named name to have a RUNNING run
// started after the last one it had.
func waitRunning(c benchkit.Client, name string) (string, benchkit.Channel, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Items []struct{ ID, Name, Status string }
		}
		if err := c.Call("GET", "/api/channels", nil, &list); err != nil {
			return "", benchkit.Channel{}, err
		}
		for _, it := range list.Items {
			if it.Name == name && it.Status == "RUNNING" {
				ch, err := c.Channel(it.ID)
				return it.ID, ch, err
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", benchkit.Channel{}, fmt.Errorf("no RUNNING run of %s after 30 s", name)
}
