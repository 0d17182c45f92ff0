package rtmp

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
)

const (
	rtmpVersion   = 3
	handshakeSize = 1536
)

// serverHandshake answers C0+C1 with S0+S1+S2 and reads C2.
//
// It uses the simple scheme: S1 is random with a zero version field, which tells
// the client not to expect the Flash Player 9 digest, and S2 echoes C1. Publishing
// clients accept it whatever C1 they sent: ffmpeg only checks a digest when it
// plays and the server announced a version, and librtmp (OBS) only warns on a
// mismatch. C2 is read but not checked, since digest clients don't echo S1.
func serverHandshake(r *bufio.Reader, w *bufio.Writer) error {
	c0, err := r.ReadByte()
	if err != nil {
		return err
	}
	switch {
	case c0 == 6 || c0 == 8:
		return fmt.Errorf("client asked for encrypted RTMP (version %d), which is not supported", c0)
	case c0 >= 'A' && c0 <= 'Z': // "POST /open/1": RTMPT, or HTTP sent to the RTMP port
		return fmt.Errorf("client sent %q: not RTMP (HTTP or RTMPT?)", c0)
	case c0 != rtmpVersion:
		return fmt.Errorf("unsupported RTMP version %d", c0)
	}
	c1 := make([]byte, handshakeSize)
	if _, err := io.ReadFull(r, c1); err != nil {
		return unexpected(err)
	}
	s1 := make([]byte, handshakeSize)
	rand.Read(s1[8:]) // time and version stay zero
	w.WriteByte(rtmpVersion)
	w.Write(s1)
	w.Write(c1)
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := r.Discard(handshakeSize); err != nil {
		return unexpected(err)
	}
	return nil
}
