package destination

import (
	"errors"
	"net"
	"net/url"
	"testing"
	"time"
)

func TestScrub(t *testing.T) {
	cases := []struct{ url, text, want string }{
		{"rtmp://a.example.com/live2/KEY-s3cr3t", "publish live2/KEY-s3cr3t refused: NetStream.Publish.BadName KEY-s3cr3t",
			"publish *** refused: NetStream.Publish.BadName ***"},
		{"rtmps://live:PASS-s3cr3t@a.example.com:443/rtmp", "auth live:PASS-s3cr3t failed", "auth ***:*** failed"},
		{"rtmp://a.example.com/app?token=TOKEN-s3cr3t", "app?token=TOKEN-s3cr3t: 403", "app?***: 403"},
		{"rtmp://a.example.com/app/a/KEY-s3cr3t", "stream a/KEY-s3cr3t", "stream ***"},
		{"rtmp://127.0.0.1:1/live", "dial tcp 127.0.0.1:1: connect: connection refused", "dial tcp 127.0.0.1:1: connect: connection refused"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Scrub(u, tc.text); got != tc.want {
			t.Errorf("Scrub(%s, %q) = %q, want %q", tc.url, tc.text, got, tc.want)
		}
	}
}

// TestGiveUp: a worker gives up only on what cannot heal by itself:
// credentials refused on two attempts in a row, or a host unknown for
// unknownHostFor; anything else, or a success between, starts over.
func TestGiveUp(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	auth := errors.New("authentication error")
	http401 := &StatusError{Code: 401, Status: "401 Unauthorized"}
	http500 := &StatusError{Code: 500, Status: "500 Internal Server Error"}
	nxdomain := &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "cdn.invalid", IsNotFound: true}}
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	type attempt struct {
		err    error
		at     time.Duration
		giveUp bool
	}
	cases := []struct {
		name     string
		attempts []attempt
	}{
		{"refused credentials twice", []attempt{{auth, 0, false}, {auth, time.Second, true}}},
		{"HTTP 401 twice", []attempt{{http401, 0, false}, {http401, time.Second, true}}},
		{"a 401, then something else, then a 401", []attempt{{http401, 0, false}, {http500, time.Second, false}, {http401, 2 * time.Second, false}}},
		{"a server that keeps failing", []attempt{{http500, 0, false}, {http500, time.Hour, false}, {refused, 2 * time.Hour, false}}},
		{"an unknown host for a while", []attempt{{nxdomain, 0, false}, {nxdomain, 4 * time.Minute, false}, {nxdomain, 5 * time.Minute, true}}},
		{"an unknown host that came and went", []attempt{{nxdomain, 0, false}, {refused, 4 * time.Minute, false}, {nxdomain, 5 * time.Minute, false}, {nxdomain, 9 * time.Minute, false}}},
	}
	for _, tc := range cases {
		var f failures
		for i, a := range tc.attempts {
			why := f.add(a.err, t0.Add(a.at))
			if (why != "") != a.giveUp {
				t.Errorf("%s: attempt %d (%v): gives up %q, want %v", tc.name, i, a.err, why, a.giveUp)
			}
		}
	}
}

// TestClientURL: the stream name, the last path segment and its query, goes
// where gortmplib's client reads it (the fragment), and the application is
// what comes before it.
func TestClientURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp://a.rtmp.youtube.com/live2#abcd-efgh"},
		{"rtmps://live-api-s.facebook.com:443/rtmp/FB-123?s_bl=1&a=b", "rtmps://live-api-s.facebook.com:443/rtmp#FB-123?s_bl=1&a=b"},
		{"rtmp://127.0.0.1:1935/live/app2/key", "rtmp://127.0.0.1:1935/live/app2#key"},
		{"rtmp://host/live/key/", "rtmp://host/live#key"},
		{"rtmp://host/live", "rtmp://host/live"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := clientURL(u).String(); got != tc.want {
			t.Errorf("clientURL(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
