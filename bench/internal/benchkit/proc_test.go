package benchkit

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestReadTreeCountsLiveAndReapedChildren(t *testing.T) {
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	before, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.PIDs[0] != os.Getpid() || !slices.Contains(before.PIDs, sleeper.Process.Pid) {
		t.Fatalf("tree %v: want this process first and its child %d", before.PIDs, sleeper.Process.Pid)
	}
	if before.RSS <= 0 {
		t.Errorf("tree RSS = %d, want > 0", before.RSS)
	}
	// A child that burns CPU and is reaped still counts, as a server's ffmpeg
	// must after it exited.
	busy := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := busy.Run(); err != nil {
		t.Fatal(err)
	}
	used := busy.ProcessState.UserTime() + busy.ProcessState.SystemTime()
	after, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := after.CPU - before.CPU; got < used-2*clockTick {
		t.Errorf("tree CPU grew by %s, want at least the reaped child's %s", got, used)
	}
	if used < 50*time.Millisecond {
		t.Logf("the child used only %s: a weak check", used)
	}
}
