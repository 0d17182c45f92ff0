package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/config"
	"onair/internal/testutil/e2e"
)

// TestSlowBodiesAreCut: connections that send their body a byte at a time are
// all closed once the body deadline (1 s here) has passed, while they still
// trickle; with no deadline each would stay open for as long as it kept
// sending. Meanwhile a request that sends its body at once is served.
func TestSlowBodiesAreCut(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.BodyReadTimeout = time.Second })
	addr := strings.TrimPrefix(n.Base, "http://")
	const conns = 100
	stop := make(chan struct{})
	defer close(stop)
	closed := make(chan string, conns)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The body is to be 1000 bytes: at five a second, 200 s of sending.
		fmt.Fprintf(c, "POST /api/workflows HTTP/1.1\r\nHost: onair\r\nx-api-key: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", e2e.AdminKey)
		go func() {
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		go func() {
			answer, _ := io.ReadAll(c) // until the server closes the connection
			status, _, _ := strings.Cut(string(answer), "\r\n")
			closed <- fmt.Sprintf("connection %d: %s", i, status)
		}()
	}

	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "Prompt", "blueprint": e2e.SmallBlueprint("SINGLE_PIPELINE")}, nil); code != 201 {
		t.Errorf("a prompt request among slow ones: %d", code)
	}
	timeout := time.After(20 * time.Second)
	for i := range conns {
		select {
		case status := <-closed:
			if i == 0 {
				t.Logf("first one closed: %s", status)
			}
		case <-timeout:
			t.Fatalf("%d of %d connections trickling their bodies are still open after 20 s", conns-i, conns)
		}
	}
}

// TestLongDownloadOutlivesBodyDeadline: the deadline is on reading bodies, not
// on answers: a download that takes several times the deadline arrives whole.
func TestLongDownloadOutlivesBodyDeadline(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.BodyReadTimeout = time.Second })
	file := filepath.Join(n.data, "archive", "wf", "run", "long.mp4")
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.Get(n.Base + "/archive/wf/run/long.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Read it at 4 MiB/s: four seconds, more than the socket buffers hold.
	var got bytes.Buffer
	for {
		_, err := io.CopyN(&got, resp.Body, 400<<10)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes and %v: %v", got.Len(), time.Since(start), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	if resp.StatusCode != 200 || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("download: %d, %d of %d bytes in %v", resp.StatusCode, got.Len(), len(content), took)
	}
	if took < 3*time.Second {
		t.Fatalf("the download took %v, not long enough to outlive the 1 s deadline: the test proves nothing", took)
	}
}
