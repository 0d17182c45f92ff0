package rtmp

import "testing"

func TestStreamPath(t *testing.T) {
	cases := []struct{ app, name, want string }{
		{"live", "KEY", "live/KEY"},         // rtmp://host/live/KEY
		{"", "live/KEY", "live/KEY"},        // OBS: server rtmp://host/, stream key live/KEY
		{"live/", "KEY", "live/KEY"},        // OBS: server rtmp://host/live/, stream key KEY
		{"KEY", "", "KEY"},                  // rtmp://host/KEY
		{"", "KEY", "KEY"},                  // server rtmp://host/, stream key KEY
		{"/live//", "/KEY/", "live/KEY"},    // stray slashes
		{"live/sub", "KEY", "live/sub/KEY"}, // a deeper app stays deeper
		{"./live", "KEY", "live/KEY"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := StreamPath(c.app, c.name); got != c.want {
			t.Errorf("StreamPath(%q, %q) = %q, want %q", c.app, c.name, got, c.want)
		}
	}
}

func TestPathForLog(t *testing.T) {
	cases := []struct{ path, want string }{
		{"live/0123456789abcdef0123456789abcdef", "live/0123…"},
		{"0123456789abcdef0123456789abcdef", "0123…"},
		{"live/ab", "live/…"},
		{"", "…"},
	}
	for _, c := range cases {
		if got := PathForLog(c.path); got != c.want {
			t.Errorf("PathForLog(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}
