package benchkit

import (
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Published is a publisher process that got through: when it started (the
// origin of its media timeline under -re) and when it exited.
type Published struct {
	T0   time.Time
	Done <-chan struct{} // closed once the publisher exited
	err  error
}

// Err is how the publisher exited; nil until Done is closed.
func (p *Published) Err() error {
	select {
	case <-p.Done:
		return p.err
	default:
		return nil
	}
}

// Start starts a publisher and follows it until it exits.
func Start(pub *exec.Cmd) (*Published, error) {
	p := &Published{T0: time.Now()}
	if err := pub.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	p.Done = done
	go func() {
		p.err = pub.Wait()
		close(done)
	}()
	return p, nil
}

// PublishToListener starts a publisher made by newPub against an ffmpeg that
// listens for one RTMP connection (-listen 1). Nothing may probe such a
// server, so the publisher is started again until it stays connected for a
// second; serverSaid is what to show from the server when it never does.
func PublishToListener(newPub func() *exec.Cmd, serverSaid fmt.Stringer) (*Published, error) {
	for attempt := 0; ; attempt++ {
		time.Sleep(300 * time.Millisecond)
		p, err := Start(newPub())
		if err != nil {
			return nil, err
		}
		select {
		case <-p.Done:
			if attempt == 20 {
				return nil, fmt.Errorf("publishing to bare ffmpeg: %v; ffmpeg said: %s", p.err, strings.TrimSpace(serverSaid.String()))
			}
			continue
		case <-time.After(time.Second):
		}
		return p, nil
	}
}
